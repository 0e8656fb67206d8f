/** A wrong answer to "ingress-tls" (host shop.example.com): /api as Exact, so /api/v1/items is not the API's. */
export default {
  ingresses: {
    shop: {
      annotations: { 'nginx.ingress.kubernetes.io/ssl-redirect': 'false' },
      rules: [{ host: 'shop.example.com', http: { paths: [
        { path: '/api', pathType: 'Exact', backend: { service: { name: 'api', port: { name: 'http' } } } },
        { path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { name: 'http' } } } },
      ] } }],
      tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }],
    },
  },
};
