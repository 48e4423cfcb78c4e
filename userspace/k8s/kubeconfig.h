/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where the Kubernetes API server is and how to authenticate to it: from a
 * kubeconfig file (YAML or JSON) or from the in-cluster service account.
 * Resolves the one context in use into a flat struct that the HTTP client
 * hands to libcurl (paths or PEM blobs). Bearer tokens stay inside the
 * struct: read them only through pt_kube_config_token(), never print them.
 */
#ifndef PODTRAIL_K8S_KUBECONFIG_H
#define PODTRAIL_K8S_KUBECONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define PT_SA_DIR_DEFAULT "/var/run/secrets/kubernetes.io/serviceaccount"

/* A token file is re-read at least this often, even if it looks unchanged. */
#define PT_TOKEN_REREAD_MS (60 * 1000)
/* Tokens larger than this are refused (a projected JWT is ~1-2 KiB). */
#define PT_TOKEN_MAX 65536

/* TLS material: a file (re-read by the TLS layer) or bytes from the config. */
struct pt_kube_pem {
	char *path; /* absolute path of a PEM file, or NULL */
	char *data; /* PEM bytes, NUL-terminated for convenience, or NULL */
	size_t len; /* bytes in data, without the NUL */
};

/* Private: bearer token state. Do not read these fields directly. */
struct pt_kube_token {
	char *value; /* static token, or the last one read from file */
	size_t len;
	char *file;	/* token file to re-read as it rotates, or NULL */
	bool have_stat; /* the fields below describe the last read */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	uint64_t read_ms; /* monotonic time of the last read */
};

struct pt_kube_config {
	char *server;	       /* "https://host:port[/prefix]", no trailing '/' */
	char *tls_server_name; /* name to verify the server certificate against, or NULL */
	char *proxy_url;       /* cluster's proxy-url, or NULL */
	/* Recorded as configured; the agent refuses it unless told loudly. */
	bool insecure_skip_tls_verify;
	struct pt_kube_pem ca;		/* empty: system trust store */
	struct pt_kube_pem client_cert; /* empty: no client certificate */
	struct pt_kube_pem client_key;
	char *namespace; /* context's or service account's namespace, or NULL */
	char *origin;	 /* e.g. "kubeconfig /root/.kube/config context \"kind\"", for messages */
	struct pt_kube_token token;
};

/*
 * Load @path and resolve @context (NULL: the file's current-context) to its
 * cluster and user. Relative file paths in the file are taken relative to
 * the file's directory, as client-go does. Fails on auth methods podtrail
 * does not implement (exec, auth-provider, username/password,
 * impersonation). Returns 0, or -errno with a message in @err naming @path
 * and what is wrong. @out is zeroed first and needs pt_kube_config_free()
 * only on success.
 */
int pt_kubeconfig_load(const char *path, const char *context, struct pt_kube_config *out, char *err,
		       size_t errlen);

/*
 * The in-cluster configuration: KUBERNETES_SERVICE_HOST/PORT from the
 * environment and token, ca.crt and namespace from @sa_dir (NULL:
 * PT_SA_DIR_DEFAULT). The token file is re-read as the kubelet rotates it.
 */
int pt_kubeconfig_in_cluster(const char *sa_dir, struct pt_kube_config *out, char *err,
			     size_t errlen);

/*
 * Copy the current bearer token into @buf (NUL-terminated). A token file is
 * re-read when it changed (inode, size, mtime) or PT_TOKEN_REREAD_MS after
 * the last read; if re-reading fails, the last good token is kept, as
 * client-go does. Returns 0, -ENODATA when no token is configured (client
 * certificate auth), -ENOBUFS when @len is too small, or -errno from reading
 * the file when there is no previous token to fall back on.
 */
int pt_kube_config_token(struct pt_kube_config *cfg, char *buf, size_t len);
/* Same, with the monotonic clock in milliseconds given (for tests). */
int pt_kube_config_token_at(struct pt_kube_config *cfg, uint64_t now_ms, char *buf, size_t len);

bool pt_kube_config_has_token(const struct pt_kube_config *cfg);

/* Frees everything and wipes key and token bytes. Safe on a zeroed struct. */
void pt_kube_config_free(struct pt_kube_config *cfg);

#endif /* PODTRAIL_K8S_KUBECONFIG_H */
