/*
 * The hub's registry of sites, read from the sites file (DESIGN §9): one
 * "[site ID]" section per clinic with its CURVE public key(s), where it
 * is, and how its franchise fee is computed. A registry is immutable once
 * loaded; on SIGHUP the hub loads a new one and swaps it in (zap_set_sites,
 * then sites_free on the old one), keeping the old one when the new file
 * has errors. Loop thread only.
 */
#ifndef MSOSYNC_SITES_H
#define MSOSYNC_SITES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "keys.h"

enum site_fee_model {
	SITE_FEE_FIXED,			/* fee_fixed_cents a period */
	SITE_FEE_PERCENT,		/* fee_percent_bp of fee_base */
	SITE_FEE_FIXED_PLUS_PERCENT,	/* both, added */
};

enum site_fee_base {
	SITE_FEE_GROSS_SALES,		/* the default */
	SITE_FEE_NET_REVENUE,
	SITE_FEE_COLLECTIONS,
};

struct site_key {
	uint8_t	bin[32];
	char	z85[KEYS_Z85_LEN + 1];
};

struct site {
	uint32_t		 id;		/* >= 1 */
	char			*name;		/* "" when not given */
	char			 state[3];	/* "TX"; "" when not given */
	char			*timezone;	/* "" when not given */
	char			*tax_id;	/* "" when not given */
	enum site_fee_model	 fee_model;
	enum site_fee_base	 fee_base;
	int64_t			 fee_fixed_cents;	/* 0 unless fixed */
	uint32_t		 fee_percent_bp;	/* 0 unless percent */
	int64_t			 fee_floor_cents;	/* 0: none */
	int64_t			 fee_cap_cents;		/* 0: none */
	bool			 revoked;
	struct site_key		 key;		/* public_key */
	bool			 has_next_key;
	struct site_key		 next_key;	/* next_public_key, if any */
};

struct sites;

/*
 * Read the sites file 'path'. Every problem is added to errs (which the
 * caller has zeroed, and frees with config_errors_free) as
 * "file:line: message", in line order. On success *out is the caller's,
 * freed with sites_free; on error *out is NULL.
 * A "[site ID]" section without any key is reported as a site missing its
 * required keys, at the section's line. An empty file is a valid registry
 * with no sites.
 * Returns 0, MSOSYNC_ECONFIG (errors in the file) or -errno (unreadable).
 */
int	sites_load(const char *path, struct sites **out,
	    struct config_errors *errs) __attribute__((warn_unused_result));

/* NULL-safe; sets *s = NULL. Every struct site of it dies with it. */
void	sites_free(struct sites **s);

/*
 * The site whose public_key or next_public_key is 'pub', revoked or not
 * (so that the caller can say "revoked"), or NULL. O(log n).
 * Valid as long as the registry.
 */
const struct site	*sites_by_key(const struct sites *s,
			    const uint8_t pub[32]);

/* The site with this id, or NULL. O(log n). */
const struct site	*sites_get(const struct sites *s, uint32_t id);

size_t			 sites_count(const struct sites *s);

/* The i-th site (i < sites_count) in increasing id order. */
const struct site	*sites_at(const struct sites *s, size_t i);

/* Is 'id' a site of the registry that is not revoked? False for NULL s. */
bool			 sites_is_active(const struct sites *s, uint32_t id);

/* The sites file's spelling of each value ("fixed_plus_percent", ...). */
const char		*sites_fee_model_name(enum site_fee_model m);
const char		*sites_fee_base_name(enum site_fee_base b);

#endif
