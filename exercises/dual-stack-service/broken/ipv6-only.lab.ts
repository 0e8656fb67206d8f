/** A wrong answer to "dual-stack-service" (variant store, 30092): ipFamilies IPv6 alone, so pods and the laptop cannot reach it over IPv4. */
export default {
  services: {
    store: { type: 'NodePort', ipFamilies: ['IPv6'], selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080, nodePort: 30092 }] },
  },
};
