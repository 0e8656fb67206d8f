/** A wrong answer to "nodeport-snat" (variant storefront, 30082): a ClusterIP Service (the default type): reachable from pods only, no port on the nodes. */
export default {
  services: {
    storefront: { selector: { app: 'shop' }, ports: [{ port: 80, targetPort: 8080 }] },
  },
};
