/** A wrong answer to "nodeport-snat" (variant storefront, 30082): no nodePort given, so one is allocated (30000), not the 30082 the task asks for. */
export default {
  services: {
    storefront: { type: 'NodePort', selector: { app: 'shop' }, ports: [{ port: 80, targetPort: 8080 }] },
  },
};
