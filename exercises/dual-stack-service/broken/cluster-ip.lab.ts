/** A wrong answer to "dual-stack-service" (variant store, 30092): dual stack, but a ClusterIP Service, so nothing answers on the nodes' ports. */
export default {
  services: {
    store: { ipFamilyPolicy: 'RequireDualStack', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
  },
};
