#!/usr/bin/env bash
# Builds the real servers that the integration tests start (etcd, kube-apiserver, Vault, helm)
# from the Go module proxy, once per machine, into a cache keyed by version under $HOME.
# A fresh machine needs only Go: the first run takes 15-30 minutes on 2 cores; later runs
# find the binaries and return at once.
#
#   hack/realservers.sh [etcd|kube-apiserver|vault|helm ...]   (default: all)
#
# Prints nothing on success but the directory holding the binaries. Binaries named by
# APPCONNECTOR_ETCD, APPCONNECTOR_KUBE_APISERVER, APPCONNECTOR_VAULT or APPCONNECTOR_HELM are used
# instead of building.
set -euo pipefail

ETCD_VERSION=v3.7.3
KUBE_VERSION=v1.37.2
VAULT_VERSION=v1.21.0
HELM_VERSION=v3.22.0

CACHE="${APPCONNECTOR_REALSERVERS_DIR:-$HOME/.cache/appconnector/realservers}"
BIN="$CACHE/bin-etcd_${ETCD_VERSION}-kube_${KUBE_VERSION}-vault_${VAULT_VERSION}-helm_${HELM_VERSION}"
mkdir -p "$BIN"
export CGO_ENABLED=0 GOFLAGS=-mod=mod GOWORK=off

log() { echo "realservers: $*" >&2; }

want=("$@")
[ ${#want[@]} -eq 0 ] && want=(etcd kube-apiserver vault helm)

# Binaries already cached (or named by the environment) need no lock: a test waiting for etcd
# must not queue behind a Vault build that another package started.
missing=()
for w in "${want[@]}"; do
	case "$w" in
	etcd) env=${APPCONNECTOR_ETCD:-} ;;
	kube-apiserver) env=${APPCONNECTOR_KUBE_APISERVER:-} ;;
	vault) env=${APPCONNECTOR_VAULT:-} ;;
	helm) env=${APPCONNECTOR_HELM:-} ;;
	*) echo "realservers: unknown server $w (etcd, kube-apiserver, vault, helm)" >&2; exit 2 ;;
	esac
	if [ -n "$env" ]; then ln -sf "$env" "$BIN/$w"; fi
	[ -x "$BIN/$w" ] || missing+=("$w")
done
if [ ${#missing[@]} -eq 0 ]; then echo "$BIN"; exit 0; fi

# One build at a time per machine: parallel test packages or a second make would otherwise
# compile kube-apiserver twice. Each server has its own lock, so building Vault does not hold
# up a test that needs only kube-apiserver.

scratch() { # name -> fresh module dir
	local d="$CACHE/src/$1"
	rm -rf "$d"; mkdir -p "$d"; echo "$d"
}

build_etcd() {
	[ -x "$BIN/etcd" ] && return
	if [ -n "${APPCONNECTOR_ETCD:-}" ]; then ln -sf "$APPCONNECTOR_ETCD" "$BIN/etcd"; return; fi
	log "building etcd $ETCD_VERSION (about 1 minute cold)"
	local d; d=$(scratch etcd)
	cat >"$d/main.go" <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
	(cd "$d" && go mod init realservers/etcd >/dev/null 2>&1 &&
		go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >/dev/null &&
		go mod tidy >/dev/null 2>&1 || true
		go build -trimpath -ldflags='-s -w' -o "$BIN/etcd.tmp" . && mv "$BIN/etcd.tmp" "$BIN/etcd")
}

build_kube() {
	[ -x "$BIN/kube-apiserver" ] && return
	if [ -n "${APPCONNECTOR_KUBE_APISERVER:-}" ]; then ln -sf "$APPCONNECTOR_KUBE_APISERVER" "$BIN/kube-apiserver"; return; fi
	log "building kube-apiserver $KUBE_VERSION (about 4-10 minutes cold)"
	local d; d=$(scratch kube-apiserver)
	cat >"$d/main.go" <<'GO'
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() { os.Exit(cli.Run(app.NewAPIServerCommand())) }
GO
	(cd "$d" && go mod init realservers/kube-apiserver >/dev/null 2>&1 &&
		go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" >/dev/null)
	local kgomod
	kgomod="$(go env GOMODCACHE)/k8s.io/kubernetes@$KUBE_VERSION/go.mod"
	local staging="v0.${KUBE_VERSION#v1.}"
	{
		echo "require k8s.io/kubernetes $KUBE_VERSION"
		# Every staging module kubernetes replaces with ./staging/... is published at v0.x.y.
		awk '/=> \.\/staging\//{print "replace " $1 " => " $1 " '"$staging"'"}' "$kgomod"
	} >>"$d/go.mod"
	local ld="-s -w"
	for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		ld="$ld -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$(echo "$KUBE_VERSION" | cut -d. -f2)"
	done
	(cd "$d" && go mod tidy >/dev/null &&
		go build -trimpath -ldflags="$ld" -o "$BIN/kube-apiserver.tmp" . && mv "$BIN/kube-apiserver.tmp" "$BIN/kube-apiserver")
}

build_vault() {
	[ -x "$BIN/vault" ] && return
	if [ -n "${APPCONNECTOR_VAULT:-}" ]; then ln -sf "$APPCONNECTOR_VAULT" "$BIN/vault"; return; fi
	log "building vault $VAULT_VERSION (about 8-15 minutes cold)"
	local d; d=$(scratch vault)
	cat >"$d/main.go" <<'GO'
package main

import (
	"os"

	"github.com/hashicorp/vault/command"
)

func main() { os.Exit(command.Run(os.Args[1:])) }
GO
	cat >"$d/go.mod" <<GOMOD
module realservers/vault

go 1.25

require github.com/hashicorp/vault $VAULT_VERSION

replace (
	github.com/hashicorp/vault/api => github.com/hashicorp/vault/api v1.22.0
	github.com/hashicorp/vault/api/auth/approle => github.com/hashicorp/vault/api/auth/approle v0.10.0
	github.com/hashicorp/vault/api/auth/kubernetes => github.com/hashicorp/vault/api/auth/kubernetes v0.10.0
	github.com/hashicorp/vault/api/auth/userpass => github.com/hashicorp/vault/api/auth/userpass v0.10.0
	github.com/hashicorp/vault/sdk => github.com/hashicorp/vault/sdk v0.20.0
	github.com/99designs/keyring => github.com/Jeffail/keyring v1.2.3
	github.com/ma314smith/signedxml v1.1.1 => github.com/moov-io/signedxml v1.1.1
)
GOMOD
	(cd "$d" && go mod tidy >/dev/null &&
		go build -trimpath -ldflags='-s -w' -o "$BIN/vault.tmp" . && mv "$BIN/vault.tmp" "$BIN/vault")
}

build_helm() {
	[ -x "$BIN/helm" ] && return
	if [ -n "${APPCONNECTOR_HELM:-}" ]; then ln -sf "$APPCONNECTOR_HELM" "$BIN/helm"; return; fi
	log "building helm $HELM_VERSION (about 3 minutes cold)"
	GOBIN="$BIN" go install -trimpath -ldflags='-s -w' "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
}

for w in "${missing[@]}"; do
	exec 9>"$CACHE/.lock-$w"
	flock 9
	case "$w" in
	etcd) build_etcd ;;
	kube-apiserver) build_kube ;;
	vault) build_vault ;;
	helm) build_helm ;;
	esac
	exec 9>&-
done
echo "$BIN"
