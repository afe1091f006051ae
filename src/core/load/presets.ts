/**
 * Built-in provider presets: data that values reference as `{{provider.<key>}}`.
 * Providers are never code branches; `providers/<name>.yaml` in a platform
 * repo is merged over the preset of that name (or defines a new provider).
 *
 * - storageClass: the StorageClass the provider's clusters ship with.
 * - ingressClass: the IngressClass of the provider's usual ingress controller.
 * - loadBalancerAnnotations: Service annotations for an internet-facing L4 load balancer.
 * - controlPlaneMetrics: whether etcd, scheduler and controller-manager metrics
 *   can be scraped (false on managed control planes: kube-prometheus-stack's
 *   kubeEtcd/kubeScheduler/kubeControllerManager must then be disabled).
 * - kubeletInsecureTLS: whether metrics-server needs `--kubelet-insecure-tls`
 *   (kubelet serving certificates not signed by the cluster CA).
 * - kubeletPreferredAddressTypes: metrics-server's `--kubelet-preferred-address-types`.
 */
export const providerPresets: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  digitalocean: {
    displayName: 'DigitalOcean Kubernetes',
    storageClass: 'do-block-storage',
    ingressClass: 'nginx',
    loadBalancerAnnotations: {
      'service.beta.kubernetes.io/do-loadbalancer-healthcheck-protocol': 'tcp',
    },
    controlPlaneMetrics: false,
    kubeletInsecureTLS: false,
    kubeletPreferredAddressTypes: 'InternalIP',
  },
  eks: {
    displayName: 'Amazon EKS',
    storageClass: 'gp2',
    ingressClass: 'alb',
    loadBalancerAnnotations: {
      'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
      'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
      'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internet-facing',
    },
    controlPlaneMetrics: false,
    kubeletInsecureTLS: false,
    kubeletPreferredAddressTypes: 'InternalIP',
  },
  gke: {
    displayName: 'Google Kubernetes Engine',
    storageClass: 'standard-rwo',
    ingressClass: 'gce',
    loadBalancerAnnotations: {
      'cloud.google.com/l4-rbs': 'enabled',
    },
    controlPlaneMetrics: false,
    kubeletInsecureTLS: false,
    kubeletPreferredAddressTypes: 'InternalIP',
  },
  aks: {
    displayName: 'Azure Kubernetes Service',
    storageClass: 'managed-csi',
    ingressClass: 'webapprouting.kubernetes.azure.com',
    loadBalancerAnnotations: {
      'service.beta.kubernetes.io/azure-load-balancer-health-probe-request-path': '/healthz',
    },
    controlPlaneMetrics: false,
    kubeletInsecureTLS: false,
    kubeletPreferredAddressTypes: 'InternalIP',
  },
  kind: {
    displayName: 'kind',
    storageClass: 'standard',
    ingressClass: 'nginx',
    loadBalancerAnnotations: {},
    controlPlaneMetrics: true,
    kubeletInsecureTLS: true,
    kubeletPreferredAddressTypes: 'InternalIP',
  },
  generic: {
    displayName: 'Kubernetes',
    storageClass: 'standard',
    ingressClass: 'nginx',
    loadBalancerAnnotations: {},
    controlPlaneMetrics: false,
    kubeletInsecureTLS: false,
    kubeletPreferredAddressTypes: 'InternalIP,Hostname,ExternalIP',
  },
};
