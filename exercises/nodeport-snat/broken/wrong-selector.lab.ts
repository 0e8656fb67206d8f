/** A wrong answer to "nodeport-snat" (variant storefront, 30082): the selector names a label the pods do not have: the Service has no endpoints. */
export default {
  services: {
    storefront: { type: 'NodePort', selector: { name: 'shop' }, ports: [{ port: 80, targetPort: 8080, nodePort: 30082 }] },
  },
};
