/** A wrong answer to "ingress-tls" (host shop.example.com): routes right, but no tls section, so HTTPS gets the controller's default certificate. */
export default {
  ingresses: {
    shop: {
      rules: [{ host: 'shop.example.com', http: { paths: [
        { path: '/api', pathType: 'Prefix', backend: { service: { name: 'api', port: { name: 'http' } } } },
        { path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { name: 'http' } } } },
      ] } }],
    },
  },
};
