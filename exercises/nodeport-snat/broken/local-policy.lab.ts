/** A wrong answer to "nodeport-snat" (variant storefront, 30082): externalTrafficPolicy Local: only the workers (each has a replica) answer, and the client IP is kept. */
export default {
  services: {
    storefront: { type: 'NodePort', externalTrafficPolicy: 'Local', selector: { app: 'shop' }, ports: [{ port: 80, targetPort: 8080, nodePort: 30082 }] },
  },
};
