/** A wrong answer to "ingress-tls" (host shop.example.com): routes right (plain HTTP kept), but no tls section, so HTTPS gets the controller's default certificate. */
export default {
  ingresses: {
    shop: {
      annotations: { 'nginx.ingress.kubernetes.io/ssl-redirect': 'false' },
      rules: [{ host: 'shop.example.com', http: { paths: [
        { path: '/api', pathType: 'Prefix', backend: { service: { name: 'api', port: { name: 'http' } } } },
        { path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { name: 'http' } } } },
      ] } }],
    },
  },
};
