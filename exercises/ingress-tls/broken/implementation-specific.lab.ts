/** A wrong answer to "ingress-tls" (host shop.example.com): /api as ImplementationSpecific (nginx's prefix), so /apiary goes to the API too. */
export default {
  ingresses: {
    shop: {
      annotations: { 'nginx.ingress.kubernetes.io/ssl-redirect': 'false' },
      rules: [{ host: 'shop.example.com', http: { paths: [
        { path: '/api', pathType: 'ImplementationSpecific', backend: { service: { name: 'api', port: { name: 'http' } } } },
        { path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { name: 'http' } } } },
      ] } }],
      tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }],
    },
  },
};
