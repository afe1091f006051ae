# syntax=docker/dockerfile:1.7
# gitops-k8s: one image for the CMP sidecar, the ApplicationSet plugin
# generator (`gitops-k8s serve`) and the CLI.
# Node 26 is the Active LTS line; the tag is exact. A release pipeline should
# add the digest it resolved (FROM node:26.10.0-trixie-slim@sha256:...).
ARG NODE_IMAGE=node:26.10.0-trixie-slim

# ---- build: compile TypeScript with the dev dependencies ----
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are copied.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY bench ./bench
# tsc, the standalone validators and the bundled CLI (scripts/bundle-cli.mjs).
RUN npm run build

# ---- tools: the helm and kustomize Argo CD v3.5.1's repo-server runs ----
# `gitops-k8s check` and `diff --manifests` render with the same binaries, so
# the versions are the ones vendor/argo-cd/tool-versions.sh pins, each
# download checked against Argo CD's own checksum (vendor/argo-cd/checksums/).
FROM ${NODE_IMAGE} AS tools
ARG TARGETARCH
ARG HELM_VERSION=4.2.1
ARG HELM_SHA256_AMD64=479dca836e5b45e8bd222400c5591b0e3a647378f03ff96597180db97c17fdae
ARG HELM_SHA256_ARM64=596b9a73d366c1e72ce67d595c22805480e30914593aafbc9f547694e72814db
ARG KUSTOMIZE_VERSION=5.8.1
ARG KUSTOMIZE_SHA256_AMD64=029a7f0f4e1932c52a0476cf02a0fd855c0bb85694b82c338fc648dcb53a819d
ARG KUSTOMIZE_SHA256_ARM64=0953ea3e476f66d6ddfcd911d750f5167b9365aa9491b2326398e289fef2c142
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl ca-certificates \
 && case "${TARGETARCH:-amd64}" in \
      amd64) arch=amd64 helm_sha="${HELM_SHA256_AMD64}" kustomize_sha="${KUSTOMIZE_SHA256_AMD64}" ;; \
      arm64) arch=arm64 helm_sha="${HELM_SHA256_ARM64}" kustomize_sha="${KUSTOMIZE_SHA256_ARM64}" ;; \
      *) echo "no pinned helm and kustomize for ${TARGETARCH}" >&2; exit 1 ;; \
    esac \
 && mkdir -p /tools/bin /tmp/dl \
 && curl -sSLf --retry 3 -o /tmp/dl/helm.tar.gz "https://get.helm.sh/helm-v${HELM_VERSION}-linux-${arch}.tar.gz" \
 && echo "${helm_sha}  /tmp/dl/helm.tar.gz" | sha256sum -c - \
 && tar -C /tmp/dl -xzf /tmp/dl/helm.tar.gz "linux-${arch}/helm" \
 && install -m 0755 "/tmp/dl/linux-${arch}/helm" /tools/bin/helm \
 && curl -sSLf --retry 3 -o /tmp/dl/kustomize.tar.gz \
      "https://github.com/kubernetes-sigs/kustomize/releases/download/kustomize/v${KUSTOMIZE_VERSION}/kustomize_v${KUSTOMIZE_VERSION}_linux_${arch}.tar.gz" \
 && echo "${kustomize_sha}  /tmp/dl/kustomize.tar.gz" | sha256sum -c - \
 && tar -C /tmp/dl -xzf /tmp/dl/kustomize.tar.gz kustomize \
 && install -m 0755 /tmp/dl/kustomize /tools/bin/kustomize \
 && rm -rf /tmp/dl /var/lib/apt/lists/*

# ---- runtime: production dependencies only, uid 999, read-only root ----
FROM ${NODE_IMAGE} AS runtime
# git and ssh for git sources (https, ssh://, git@); ca-certificates for https.
# uid/gid 999 is what Argo CD's cmp-server expects of a CMP sidecar.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && (getent group 999 >/dev/null || groupadd --gid 999 argocd) \
 && (getent passwd 999 >/dev/null || useradd --uid 999 --gid 999 --no-log-init --no-create-home --home-dir /home/argocd --shell /usr/sbin/nologin argocd)
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force
COPY --from=build /src/dist/src ./dist/src
COPY --from=tools /tools/bin/helm /tools/bin/kustomize /usr/local/bin/
COPY examples ./examples
COPY manifests ./manifests
COPY plugin ./plugin
# Where Argo CD's cmp-server looks for its configuration.
COPY plugin/plugin.yaml /home/argocd/cmp-server/config/plugin.yaml
RUN chmod 0755 /app/dist/src/gitops-k8s.cjs \
 && ln -s /app/dist/src/gitops-k8s.cjs /usr/local/bin/gitops-k8s
# The root filesystem is mounted read-only in the pod: everything that writes
# (git's config and known_hosts, ssh, npm, Node's caches, bare clones) goes
# under /tmp, an emptyDir there.
# NODE_COMPILE_CACHE: Node keeps the code it compiled (checked against each
# file's content) for the modules it loads: the bin, the CLI bundle and the
# validators. The first `generate` of a pod fills it, the others start from it.
ENV NODE_ENV=production \
    HOME=/tmp \
    XDG_CACHE_HOME=/tmp/.cache \
    NODE_COMPILE_CACHE=/tmp/.cache/node-compile-cache \
    XDG_CONFIG_HOME=/tmp/.config \
    NPM_CONFIG_CACHE=/tmp/.npm \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    GIT_TERMINAL_PROMPT=0
USER 999:999
EXPOSE 4355
ENTRYPOINT ["gitops-k8s"]
CMD ["--help"]
