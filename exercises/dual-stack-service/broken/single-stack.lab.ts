/** A wrong answer to "dual-stack-service" (variant store, 30092): no ipFamilyPolicy, so the Service is SingleStack, IPv4 only (the cluster's primary family). */
export default {
  services: {
    store: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080, nodePort: 30092 }] },
  },
};
