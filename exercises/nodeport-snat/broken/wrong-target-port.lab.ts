/** A wrong answer to "nodeport-snat" (variant storefront, 30082): no targetPort, so it defaults to port (80), where the pods do not listen. */
export default {
  services: {
    storefront: { type: 'NodePort', selector: { app: 'shop' }, ports: [{ port: 80, nodePort: 30082 }] },
  },
};
