/** A wrong answer to "ingress-tls" (host shop.example.com): routes and TLS right, but ssl-redirect left at its default, so plain HTTP gets 308 to https://. */
export default {
  ingresses: {
    shop: {
      rules: [{ host: 'shop.example.com', http: { paths: [
        { path: '/api', pathType: 'Prefix', backend: { service: { name: 'api', port: { name: 'http' } } } },
        { path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { name: 'http' } } } },
      ] } }],
      tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }],
    },
  },
};
