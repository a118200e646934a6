/*
 * The data simulator behind `msoctl simulate` (DESIGN §9, events of §5):
 * a busy US med spa's point of sale, scheduler, inventory and HR systems,
 * day by day, written through the one mapper (pbjson_encode).
 *
 * Planning a day puts compact records (struct rec) into per-day buckets:
 * what happens that day (visits and their tickets, shifts, bills, dues,
 * orders), and what it causes on other days: an appointment is booked up
 * to BOOK days before the visit, a refund or a lead's next step comes up
 * to FWD days after. So day d is written only after day d + BOOK has been
 * planned: sorted by time, numbered, built as Msosync__Event on the stack
 * and handed to the caller. A ring of BOOK + FWD + 1 buckets is enough,
 * since nothing planned later can land on a day already written.
 *
 * How many visits a day gets follows from a budget: the day's target
 * (rate, weekday, +-10%) less what is already on it (fixed events, lead
 * follow-ups, refunds); each visit is charged what it adds up to and
 * including its own day (bookings and cancellations land earlier, on days
 * that in their turn get the bookings of later visits), so the days
 * average out at the rate.
 *
 * All randomness comes from one xoshiro256** stream per (seed, site);
 * all arithmetic is integer, so output is the same on every platform.
 * Owns the generator state and `msoctl simulate`. No global state.
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cmds.h"
#include "msosync/error.h"
#include "opts.h"
#include "pbjson.h"
#include "simulate.h"
#include "xmalloc.h"

#define OPEN		(14 * 3600)	/* first second of a day used */
#define CLOSE		(23 * 3600 + 1800) /* the last */
#define BOOK		14	/* days an appointment is booked ahead */
#define FWD		24	/* days a lead or refund follows */
#define RING		(BOOK + FWD + 1)
#define FLUSH_AT	(1 << 20)
#define NONE		0xff
#define NEVER		INT32_MAX
#define MISTAKES	256	/* open mistaken lines awaiting their void */

/* ---- randomness ------------------------------------------------------ */

struct rng {
	uint64_t	s[4];
};

static uint64_t
splitmix(uint64_t *x)
{
	uint64_t	z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t	x = stream;

	x = seed ^ splitmix(&x);
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix(&x);
}

static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
next(struct rng *r)
{
	uint64_t	*s = r->s;
	uint64_t	 out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

/* Uniform in [0, n); the bias of a 64-bit multiply is far below notice. */
static inline uint64_t
below(struct rng *r, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)next(r) * n) >> 64);
}

/* Uniform in [lo, hi]. */
static inline int64_t
range(struct rng *r, int64_t lo, int64_t hi)
{
	return hi <= lo ? lo : lo + (int64_t)below(r, (uint64_t)(hi - lo) + 1);
}

static inline int
chance(struct rng *r, unsigned permille)
{
	return below(r, 1000) < permille;
}

/* x * pm / 1000, rounded to the nearest cent. */
static inline int64_t
permille(int64_t x, int64_t pm)
{
	return (x * pm + 500) / 1000;
}

/* ---- calendar -------------------------------------------------------- */

static int
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned
month_days(int64_t y, unsigned m)
{
	static const unsigned char n[12] = { 31, 28, 31, 30, 31, 30, 31,
	    31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : n[m - 1];
}

static int
is_date(uint32_t ymd)
{
	uint32_t	y = ymd / 10000, m = ymd / 100 % 100, d = ymd % 100;

	return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 &&
	    d <= month_days(y, m);
}

static int64_t
days_before_year(int64_t y)	/* since 0001-01-01 */
{
	y--;
	return y * 365 + y / 4 - y / 100 + y / 400;
}

/* YYYYMMDD -> days since 1970-01-01. */
static int64_t
epoch_day(uint32_t ymd)
{
	int64_t		y = ymd / 10000, n = days_before_year(y);
	unsigned	m = ymd / 100 % 100;

	for (unsigned i = 1; i < m; i++)
		n += month_days(y, i);
	return n + ymd % 100 - 1 - days_before_year(1970);
}

static uint32_t
ymd_of(int64_t e)
{
	int64_t		n = e + days_before_year(1970), y = n / 366 + 1;
	unsigned	m = 1;

	while (days_before_year(y + 1) <= n)
		y++;
	n -= days_before_year(y);
	while (n >= month_days(y, m))
		n -= month_days(y, m++);
	return (uint32_t)(y * 10000 + m * 100 + n + 1);
}

/* 0 = Sunday; 1970-01-01 was a Thursday. */
static unsigned
weekday(int64_t e)
{
	return (unsigned)(((e + 4) % 7 + 7) % 7);
}

/* The same date a year (or 'n' years) later; 29 February becomes the 28th. */
static uint32_t
years_later(uint32_t ymd, unsigned n)
{
	uint32_t	y = ymd / 10000 + n, m = ymd / 100 % 100, d = ymd % 100;

	if (d > month_days(y, m))
		d = month_days(y, m);
	return y * 10000 + m * 100 + d;
}

/* ---- the clinic ------------------------------------------------------ */

#define ROLE(x)		MSOSYNC__STAFF_SHIFT__ROLE__##x
#define RM(x)		(1u << ROLE(x))
#define CAT(x)		MSOSYNC__SALE__CATEGORY__##x
#define SUN		0x01
#define MON		0x02
#define TUE		0x04
#define WED		0x08
#define THU		0x10
#define FRI		0x20
#define SAT		0x40

static const struct staff {
	const char	*ref;
	uint8_t		 role;	/* Msosync__StaffShift__Role */
	uint8_t		 week;	/* days worked, bit 0 = Sunday */
	uint8_t		 optional;	/* not at every clinic */
} roster[] = {
	{ "md-1",  ROLE(MD), TUE | THU | SAT, 0 },
	{ "np-1",  ROLE(NP), MON | TUE | WED | THU | FRI, 0 },
	{ "np-2",  ROLE(NP), TUE | WED | THU | FRI | SAT, 0 },
	{ "pa-1",  ROLE(PA), MON | WED | FRI | SAT, 1 },
	{ "rn-1",  ROLE(RN), MON | TUE | WED | THU | FRI, 0 },
	{ "rn-2",  ROLE(RN), WED | THU | FRI | SAT | SUN, 0 },
	{ "aes-1", ROLE(AESTHETICIAN), MON | TUE | WED | THU | FRI, 0 },
	{ "aes-2", ROLE(AESTHETICIAN), TUE | WED | THU | FRI | SAT, 0 },
	{ "aes-3", ROLE(AESTHETICIAN), THU | FRI | SAT | SUN | MON, 1 },
	{ "fd-1",  ROLE(FRONT_DESK), MON | TUE | WED | THU | FRI, 0 },
	{ "fd-2",  ROLE(FRONT_DESK), WED | THU | FRI | SAT | SUN, 0 },
	{ "mgr-1", ROLE(MANAGER), MON | TUE | WED | THU | FRI, 0 },
};
#define NSTAFF	(sizeof(roster) / sizeof(roster[0]))

/* Loaded hourly cost by role (cents), for payroll. */
static const uint32_t hourly[8] = {
	[ROLE(MD)] = 15000, [ROLE(NP)] = 6500, [ROLE(PA)] = 6000,
	[ROLE(RN)] = 4500, [ROLE(AESTHETICIAN)] = 2800,
	[ROLE(FRONT_DESK)] = 1900, [ROLE(MANAGER)] = 3600,
};

#define INJECTORS	(RM(MD) | RM(NP) | RM(PA) | RM(RN))
#define CLINICAL	(INJECTORS | RM(AESTHETICIAN))
#define LASER_OPS	(RM(NP) | RM(RN) | RM(AESTHETICIAN))

enum { V_ALG, V_GLD, V_MRZ, V_SKC, NVENDOR };

static const struct vendor {
	const char	*id, *name, *tag;
} vendors[NVENDOR] = {
	{ "V-ALG", "Allergan Aesthetics", "ALLERGAN" },
	{ "V-GLD", "Galderma", "GALDERMA" },
	{ "V-MRZ", "Merz Aesthetics", "MERZ" },
	{ "V-SKC", "SkinCeuticals", "SKINCEUTICALS" },
};

/* What the clinic buys: toxins by the vial, fillers by the syringe,
 * retail by the piece. 'cost' is the list contract price of one. */
static const struct item {
	const char	*sku;
	uint8_t		 vendor;
	uint16_t	 pack;		/* units one item holds */
	uint32_t	 cost;
	uint32_t	 retail;	/* shelf price; 0 for supplies */
	uint8_t		 weight;	/* how often retail sells it */
} items[] = {
	{ "NEURO-100U",     V_ALG, 100, 60000, 0, 0 },
	{ "HA-FILL-1ML",    V_ALG,   1, 31000, 0, 0 },
	{ "HA-LIP-1ML",     V_ALG,   1, 29000, 0, 0 },
	{ "NEURO-DYS-300U", V_GLD, 300, 52000, 0, 0 },
	{ "HA-RST-1ML",     V_GLD,   1, 30000, 0, 0 },
	{ "NEURO-XEO-100U", V_MRZ, 100, 47000, 0, 0 },
	{ "HA-BEL-1ML",     V_MRZ,   1, 27500, 0, 0 },
	{ "RET-SERUM-C",    V_SKC,   1,  9100, 18200, 20 },
	{ "RET-SPF50",      V_SKC,   1,  2200,  4500, 30 },
	{ "RET-CLEANSER",   V_SKC,   1,  1700,  3800, 20 },
	{ "RET-HA-BOOST",   V_SKC,   1,  5200, 10500, 12 },
	{ "RET-EYE",        V_SKC,   1,  4400,  8800,  8 },
	{ "RET-RETINOL",    V_SKC,   1,  4600,  9200, 10 },
};
#define NITEM		(sizeof(items) / sizeof(items[0]))
#define FIRST_RETAIL	7

/* The menu. A service whose product comes from a vendor the clinic has
 * no contract with is not offered there. */
#define FILLERS		(RM(MD) | RM(NP) | RM(PA))
#define AES		RM(AESTHETICIAN)
#define BODY		(RM(RN) | AES)
#define IV		(RM(RN) | RM(NP))

static const struct service {
	const char	*sku;
	uint8_t		 cat;	/* Msosync__Sale__Category */
	int8_t		 item;	/* product used up, -1 none */
	uint8_t		 weight;
	uint8_t		 roles;	/* who may perform it */
	uint32_t	 lo, hi;	/* price of a unit, cents */
	uint16_t	 ulo, uhi;	/* units */
	uint8_t		 dlo, dhi;	/* duration, minutes */
} services[] = {
#define S(sku, cat, item, w, roles, lo, hi, ulo, uhi, dlo, dhi) \
	{ sku, CAT(cat), item, w, roles, lo, hi, ulo, uhi, dlo, dhi }
	S("NEURO-100U", INJECTABLES, 0, 30, INJECTORS, 1300, 1450, 20, 60,
	    15, 30),
	S("NEURO-DYS-300U", INJECTABLES, 3, 14, INJECTORS, 450, 500, 60, 150,
	    15, 30),
	S("NEURO-XEO-100U", INJECTABLES, 5, 12, INJECTORS, 1150, 1250, 20, 60,
	    15, 30),
	S("HA-FILL-1ML", DERMAL_FILLERS, 1, 7, FILLERS, 65000, 85000, 1, 2,
	    30, 60),
	S("HA-LIP-1ML", DERMAL_FILLERS, 2, 5, FILLERS, 60000, 75000, 1, 1,
	    30, 45),
	S("HA-RST-1ML", DERMAL_FILLERS, 4, 5, FILLERS, 62000, 80000, 1, 2,
	    30, 60),
	S("HA-BEL-1ML", DERMAL_FILLERS, 6, 4, FILLERS, 60000, 78000, 1, 2,
	    30, 60),
	S("LSR-HAIR", LASER, -1, 14, LASER_OPS, 25000, 45000, 1, 1, 15, 45),
	S("LSR-IPL", LASER, -1, 8, LASER_OPS, 35000, 60000, 1, 1, 30, 45),
	S("LSR-RESURF", LASER, -1, 6, LASER_OPS, 60000, 90000, 1, 1, 45, 90),
	S("BC-CRYO", BODY_CONTOURING, -1, 3, BODY, 75000, 120000, 1, 2,
	    60, 90),
	S("BC-RF", BODY_CONTOURING, -1, 3, BODY, 40000, 80000, 1, 1, 45, 60),
	S("SKN-HYDRA", SKINCARE, -1, 10, AES, 19900, 27500, 1, 1, 45, 60),
	S("SKN-PEEL", SKINCARE, -1, 7, AES, 15000, 35000, 1, 1, 30, 45),
	S("SKN-MICRONEEDLE", SKINCARE, -1, 5, AES | RM(RN), 35000, 55000,
	    1, 1, 60, 75),
	S("SKN-FACIAL", SKINCARE, -1, 6, AES, 12500, 18000, 1, 1, 60, 60),
	S("IV-MYERS", IV_WELLNESS, -1, 4, IV, 17500, 22500, 1, 1, 45, 60),
	S("IV-NAD", IV_WELLNESS, -1, 2, IV, 30000, 50000, 1, 1, 60, 90),
	S("CONSULT", OTHER, -1, 3, FILLERS, 5000, 10000, 1, 1, 15, 30),
#undef S
};
#define NSERVICE	(sizeof(services) / sizeof(services[0]))

/* Stored value: a liability when sold, redeemed later as credit. */
static const struct prepaid {
	const char	*sku;
	uint32_t	 lo, hi;
} packages[] = {
	{ "PKG-LASER-HAIR-6", 150000, 240000 },
	{ "PKG-HYDRA-3",       54000,  72000 },
	{ "PKG-IPL-3",         90000, 150000 },
}, tiers[] = {
	{ "MEM-GLOW", 14900, 14900 },
	{ "MEM-VIP",  19900, 19900 },
}, giftcard = { "GIFT-CARD", 5000, 50000 };

#define EXP(x)		MSOSYNC__EXPENSE__CATEGORY__##x
#define WEEKLY		0x80

static const char *const payees[] = {
	"V-LANDLORD", "V-EMR", "V-BOOKING", "V-ENERGY", "V-LASERLEASE",
	"V-INSURE", "V-META", "V-GOOGLE", "V-MCKESSON", "V-PAYROLL", "V-MISC",
};
enum { P_PAYROLL = 9, P_MISC = 10 };

/* Recurring bills: on a day of the month, or WEEKLY | weekday. Each
 * clinic draws its own amount in [lo, hi]; 'jitter' varies it a bill. */
static const struct bill {
	uint8_t		 cat;
	uint8_t		 payee;
	uint8_t		 when;
	uint16_t	 jitter;	/* +- permille */
	uint32_t	 lo, hi;
} bills[] = {
	{ EXP(RENT),      0, 1, 0, 1200000, 1800000 },
	{ EXP(SOFTWARE),  1, 3, 0, 75000, 95000 },
	{ EXP(SOFTWARE),  2, 3, 0, 29900, 29900 },
	{ EXP(UTILITIES), 3, 8, 150, 90000, 160000 },
	{ EXP(EQUIPMENT), 4, 10, 0, 350000, 450000 },
	{ EXP(INSURANCE), 5, 15, 0, 180000, 300000 },
	{ EXP(MARKETING), 6, WEEKLY | 1, 300, 60000, 150000 },
	{ EXP(MARKETING), 7, WEEKLY | 1, 300, 80000, 200000 },
	{ EXP(SUPPLIES),  8, WEEKLY | 3, 400, 25000, 90000 },
};
#define NBILL	(sizeof(bills) / sizeof(bills[0]))

#define SRC(x)		MSOSYNC__LEAD__SOURCE__##x

static const struct source {
	uint8_t		 source;	/* Msosync__Lead__Source */
	uint8_t		 weight;
	uint8_t		 n;
	const char	*campaign[3];
} sources[] = {
	{ SRC(WEB), 25, 3, { "website-booking", "seo-organic",
	    "spring-skin-refresh" } },
	{ SRC(SOCIAL), 24, 3, { "ig-lip-filler-reels", "fb-laser-summer",
	    "tiktok-glow" } },
	{ SRC(PAID_SEARCH), 18, 3, { "google-botox-near-me",
	    "google-laser-hair", "bing-body-contouring" } },
	{ SRC(REFERRAL), 14, 2, { "refer-a-friend", "provider-referral" } },
	{ SRC(WALK_IN), 6, 0, { NULL } },
	{ SRC(EMAIL), 8, 3, { "newsletter-monthly", "vip-event-invite",
	    "win-back-90d" } },
	{ SRC(EVENT), 5, 3, { "open-house", "botox-party", "bridal-expo" } },
};
#define NSOURCE	(sizeof(sources) / sizeof(sources[0]))

static const char *const refund_reasons[] = {
	"product returned", "client dissatisfied", "treatment not performed",
	"billing error", "duplicate charge",
};
static const char *const void_reasons[] = { "duplicate line", "wrong price" };

#define COURSE(x)	MSOSYNC__TRAINING__COURSE__##x
#define AREA(x)		MSOSYNC__COMPLIANCE_CHECK__AREA__##x
#define RESULT(x)	MSOSYNC__COMPLIANCE_CHECK__RESULT__##x

static const struct licdef {
	uint8_t		 role;
	uint8_t		 years;
	const char	*type;
} licdefs[] = {
	{ ROLE(MD), 2, "MD" }, { ROLE(MD), 3, "DEA" }, { ROLE(MD), 2, "BLS" },
	{ ROLE(NP), 2, "NP" }, { ROLE(NP), 3, "DEA" }, { ROLE(NP), 2, "BLS" },
	{ ROLE(PA), 2, "PA" }, { ROLE(PA), 2, "BLS" },
	{ ROLE(RN), 2, "RN" }, { ROLE(RN), 2, "BLS" },
	{ ROLE(AESTHETICIAN), 2, "ESTHETICIAN" },
};
#define NLICDEF	(sizeof(licdefs) / sizeof(licdefs[0]))

/* ---- records --------------------------------------------------------- */

enum kind {
	K_SALE, K_PAYMENT, K_REFUND, K_EXPENSE, K_PO, K_USAGE, K_CONTRACT,
	K_LEAD, K_APPT, K_SHIFT, K_TRAINING, K_LICENSE, K_CHECK, K_VOID,
};

#define F_MISTAKE	0x01	/* sale: keyed by mistake, voided */
#define F_REBOOKED	0x01	/* appointment flags */
#define F_CONSENT	0x02

/*
 * One planned event. Field use by kind:
 *   SALE      id ticket, client, e1 category, e2 staff, e3 flags, n units,
 *             key mistake key, str sku, m1 amount, m2 discount, m3 tax
 *   PAYMENT   id ticket, e1 method, m1 amount
 *   REFUND    id ticket, e1 reason, m1 amount
 *   EXPENSE   e1 category, e2 payee, m1 amount
 *   PO        id po, e1 contract, e2 item, n quantity, m1 unit price
 *   USAGE     id ticket, e2 item, n quantity
 *   CONTRACT  e1 contract, e2 version
 *   LEAD      id lead, e1 source, e2 campaign, e3 status
 *   APPT      id appointment, client, e1 status, e2 staff, e3 category,
 *             n duration, key flags
 *   SHIFT     e2 staff, n minutes
 *   TRAINING  e2 staff, e1 course, n completed_on, key expires_on
 *   LICENSE   e2 staff, e1 licdef, key expires_on
 *   CHECK     e1 area, e3 result, n findings
 *   VOID      e1 reason, key mistake key
 */
struct rec {
	int64_t		 t;	/* occurred_at, Unix ms */
	uint32_t	 ord;	/* planning order, to break ties */
	uint8_t		 kind;
	uint8_t		 e1, e2, e3;
	uint32_t	 id;
	uint32_t	 client;
	uint32_t	 n;
	uint32_t	 key;
	const char	*str;
	int64_t		 m1, m2, m3;
};

struct bucket {
	struct rec	*v;
	size_t		 n, cap;
};

struct contract {
	uint8_t		 vendor;
	uint8_t		 order_wday;
	char		 id[40];
	uint32_t	 start, end;
	uint16_t	 notice;
	uint8_t		 auto_renew;
	uint16_t	 rebate_bp[2];		/* by version */
	uint8_t		 ntier;
	int64_t		 tier_min[3];
	uint16_t	 tier_bp[3];
	int64_t		 commit;
	uint8_t		 nprice;
	uint8_t		 price_item[8];
	int64_t		 price[2][8];		/* by version */
	int32_t		 amend_day;	/* day index, or NEVER */
};

/* A training course or a licence of one staff member. */
struct cred {
	uint8_t		 staff;
	uint8_t		 is_license;
	uint8_t		 what;		/* course, or licdefs[] */
	int32_t		 completed;	/* day index (trainings) */
	int32_t		 expires;	/* day index */
	int32_t		 renew;		/* day index, or NEVER */
};

struct line {
	const char	*sku;
	uint8_t		 cat;
	uint8_t		 staff;
	int8_t		 item;	/* product used up, -1 none */
	uint32_t	 units;
	int64_t		 amount, discount, tax;
};

struct sim {
	const struct sim_params	*p;
	sim_emit_fn	 emit;
	void		*arg;
	struct rng	 rng;
	int64_t		 day0;		/* epoch day of day 0 */
	int		 days;
	int		 cur;		/* the day being planned */
	uint64_t	 planned;	/* records on days <= cur so far */
	uint32_t	 ord;
	struct bucket	 ring[RING];
	struct rec	 spare;		/* days before the range */

	/* the clinic */
	uint8_t		 present[NSTAFF];
	unsigned	 price_pm, tax_bp, lead_pm, walkin_pm;
	unsigned	 svc_w[NSERVICE], svc_total;
	unsigned	 retail_total;
	int64_t		 bill_base[NBILL];
	unsigned	 payroll_parity;
	uint64_t	 pay_min[8];
	uint8_t		 audit_dom, device_dom, osha_dom, hipaa_month;
	struct contract	 k[3];
	unsigned	 nk;
	int64_t		 need[NITEM];	/* used, not reordered */
	struct cred	 cred[NSTAFF * 8];
	unsigned	 ncred;
	uint32_t	 first_client, next_client;
	uint32_t	*members;	/* client<<8 | tier<<5 | day */
	unsigned	 nmembers;

	/* numbering */
	uint32_t	 next_ticket, next_appt, next_lead, next_po, next_key;
	uint64_t	 nev;
	char		 evpfx[40], tpfx[24], apfx[24], lpfx[24], popfx[24];
	struct {
		uint32_t	 key;
		uint64_t	 ev;
	}		 mistakes[MISTAKES];
	unsigned	 nmistakes;
};

static int
rec_cmp(const void *a, const void *b)
{
	const struct rec	*x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return (x->ord > y->ord) - (x->ord < y->ord);
}

/*
 * A new record on 'day' at 'sec' seconds after midnight UTC, valid until
 * the next push. Days before the range go to a sink: their causes still
 * count, their records are never written.
 */
static struct rec *
push(struct sim *s, int day, int64_t sec, enum kind kind)
{
	struct bucket	*b;
	struct rec	*r;

	assert(sec >= OPEN && sec <= CLOSE);
	assert(day <= s->cur + FWD && day >= s->cur - BOOK);
	if (day <= s->cur)
		s->planned++;
	if (day < 0)
		r = &s->spare;
	else {
		b = &s->ring[day % RING];
		if (b->n == b->cap) {
			b->cap = b->cap ? b->cap * 2 : 512;
			b->v = xrealloc(b->v, b->cap * sizeof(*b->v));
		}
		r = &b->v[b->n++];
	}
	memset(r, 0, sizeof(*r));
	r->t = ((s->day0 + day) * 86400 + sec) * 1000;
	r->ord = s->ord++;
	r->kind = (uint8_t)kind;
	return r;
}

/* ---- setting up a clinic --------------------------------------------- */

static int
on_shift(const struct sim *s, unsigned i, unsigned wd)
{
	return s->present[i] && (roster[i].week & (1u << wd));
}

static uint8_t
courses_of(uint8_t role)
{
	uint8_t	c = 1u << COURSE(HIPAA) | 1u << COURSE(OSHA_BLOODBORNE);

	if ((1u << role) & CLINICAL)
		c |= 1u << COURSE(OSHA_HAZCOM);
	if ((1u << role) & LASER_OPS)
		c |= 1u << COURSE(LASER_SAFETY);
	if ((1u << role) & INJECTORS)
		c |= 1u << COURSE(PRODUCT);
	return c;
}

/* When a credential expiring on day 'e' is renewed, if at all. */
static int32_t
renewal(struct sim *s, int32_t e, unsigned keep_pm)
{
	int32_t	r;

	if (e >= s->days)
		return NEVER;
	if (e < 0)	/* already lapsed: some catch up early on */
		return chance(&s->rng, 500) ? (int32_t)range(&s->rng, 0, 14) :
		    NEVER;
	if (!chance(&s->rng, keep_pm))
		return NEVER;
	r = e - (int32_t)range(&s->rng, 0, 30);
	return r < 0 ? 0 : r;
}

static void
setup_contracts(struct sim *s)
{
	struct rng	*g = &s->rng;
	uint8_t		 pick[3];
	unsigned	 n = 0;
	uint32_t	 first = ymd_of(s->day0);
	uint32_t	 last = ymd_of(s->day0 + s->days - 1);

	pick[n++] = V_ALG;
	if (chance(g, 600))
		pick[n++] = chance(g, 500) ? V_GLD : V_MRZ;
	pick[n++] = V_SKC;
	unsigned soon = (unsigned)below(g, n);	/* up for renewal */
	for (unsigned i = 0; i < n; i++) {
		struct contract	*k = &s->k[i];
		uint8_t		 v = pick[i];
		uint32_t	 y0 = first / 10000 - (uint32_t)below(g, 2);

		k->vendor = v;
		k->order_wday = (uint8_t)range(g, 1, 4);
		snprintf(k->id, sizeof(k->id), "K-%s-%" PRIu32, vendors[v].tag,
		    y0);
		k->start = y0 * 10000 + 101;
		if (i == soon)
			k->end = ymd_of(s->day0 + s->days - 1 +
			    range(g, 30, 150));
		else
			k->end = (last / 10000 + (uint32_t)below(g, 2)) *
			    10000 + 1231;
		k->notice = (uint16_t)(30 * range(g, 1, 3));
		k->auto_renew = chance(g, 500);
		if (v == V_SKC) {
			k->rebate_bp[0] = (uint16_t)(50 * range(g, 0, 6));
			k->commit = 100000 * range(g, 10, 30);
		} else {
			k->rebate_bp[0] = (uint16_t)(50 * range(g, 4, 8));
			k->commit = 1000000 * range(g, 5, 40);
		}
		k->rebate_bp[1] = k->rebate_bp[0];
		if (v == V_ALG || (v != V_SKC && chance(g, 500))) {
			static const int64_t mins[3] = { 5000000, 20000000,
			    50000000 };
			k->ntier = 3;
			for (unsigned t = 0; t < 3; t++) {
				k->tier_min[t] = mins[t];
				k->tier_bp[t] = (uint16_t)(k->rebate_bp[0] +
				    150 * t);
			}
		}
		for (unsigned it = 0; it < NITEM; it++) {
			if (items[it].vendor != v)
				continue;
			int64_t c = permille(items[it].cost,
			    range(g, 950, 1050));
			c = (c + 50) / 100 * 100;	/* whole dollars */
			k->price_item[k->nprice] = (uint8_t)it;
			k->price[0][k->nprice] = c;
			k->price[1][k->nprice] = c;
			k->nprice++;
		}
		k->amend_day = NEVER;
	}
	s->nk = n;
	/* Now and then a contract is renegotiated during the range. */
	if (s->days > 20 && below(g, 120) < (uint64_t)s->days) {
		struct contract *k = &s->k[below(g, n)];

		k->amend_day = (int32_t)range(g, 14, s->days - 1);
		k->price[1][0] = permille(k->price[0][0], range(g, 940, 970));
		k->rebate_bp[1] = (uint16_t)(k->rebate_bp[0] + 50);
	}
}

static void
setup_creds(struct sim *s)
{
	struct rng	*g = &s->rng;

	for (unsigned i = 0; i < NSTAFF; i++) {
		if (!s->present[i])
			continue;
		uint8_t c = courses_of(roster[i].role);
		for (uint8_t course = 1; course <= COURSE(PRODUCT); course++) {
			if (!(c & (1u << course)))
				continue;
			struct cred *cr = &s->cred[s->ncred++];
			cr->staff = (uint8_t)i;
			cr->what = course;
			cr->completed = -(int32_t)range(g, 20, 380);
			cr->expires = (int32_t)(epoch_day(years_later(
			    ymd_of(s->day0 + cr->completed), 1)) - s->day0);
			cr->renew = renewal(s, cr->expires, 880);
		}
		for (unsigned l = 0; l < NLICDEF; l++) {
			if (licdefs[l].role != roster[i].role)
				continue;
			struct cred *cr = &s->cred[s->ncred++];
			cr->staff = (uint8_t)i;
			cr->is_license = 1;
			cr->what = (uint8_t)l;
			cr->expires = (int32_t)range(g, -5, 900);
			cr->renew = renewal(s, cr->expires, 930);
		}
	}
}

static void
setup(struct sim *s, const struct sim_params *p, unsigned site)
{
	struct rng	*g = &s->rng;

	s->p = p;
	rng_seed(g, p->seed, site);
	s->days = (int)p->days;
	s->day0 = epoch_day(p->end_date) - (int64_t)p->days + 1;

	for (unsigned i = 0; i < NSTAFF; i++)
		s->present[i] = !roster[i].optional ||
		    chance(g, strcmp(roster[i].ref, "pa-1") == 0 ? 300 : 600);
	s->price_pm = (unsigned)range(g, 920, 1100);
	static const unsigned taxes[] = { 625, 700, 725, 825, 875, 950 };
	s->tax_bp = taxes[below(g, sizeof(taxes) / sizeof(taxes[0]))];
	s->lead_pm = (unsigned)range(g, 24, 34);
	s->walkin_pm = (unsigned)range(g, 60, 90);
	for (unsigned b = 0; b < NBILL; b++)
		s->bill_base[b] = range(g, bills[b].lo, bills[b].hi);
	s->payroll_parity = (unsigned)below(g, 2);
	/* The first payroll pays for days before the range too: hours as
	 * usual since the payday before it. */
	for (int64_t e = s->day0 - 1; e >= s->day0 - 14; e--) {
		unsigned wd = weekday(e);

		if (wd == 5 && (unsigned)((e + 3) / 7 % 2) == s->payroll_parity)
			break;
		for (unsigned i = 0; i < NSTAFF; i++)
			if (on_shift(s, i, wd))
				s->pay_min[roster[i].role] += wd == 0 ? 360 :
				    roster[i].role == ROLE(MD) ? 360 : 495;
	}
	s->audit_dom = (uint8_t)range(g, 3, 26);
	s->device_dom = (uint8_t)range(g, 3, 26);
	s->osha_dom = (uint8_t)range(g, 3, 26);
	s->hipaa_month = (uint8_t)range(g, 1, 12);

	setup_contracts(s);
	for (unsigned i = 0; i < NSERVICE; i++) {
		int it = services[i].item;
		int ok = it < 0;

		for (unsigned k = 0; k < s->nk && !ok; k++)
			ok = s->k[k].vendor == items[it].vendor;
		s->svc_w[i] = ok ? services[i].weight : 0;
		s->svc_total += s->svc_w[i];
	}
	for (unsigned it = FIRST_RETAIL; it < NITEM; it++)
		s->retail_total += items[it].weight;
	setup_creds(s);

	/* Clients seen before the range; members among them. */
	unsigned pool = p->rate * 4 < 100 ? 100 : p->rate * 4;
	s->first_client = 10001;
	s->next_client = s->first_client + pool;
	s->nmembers = p->rate * 2 / 5 < 8 ? 8 : p->rate * 2 / 5;
	s->members = xcalloc(s->nmembers, sizeof(*s->members));
	for (unsigned i = 0; i < s->nmembers; i++)
		s->members[i] = (s->first_client + (uint32_t)below(g, pool)) <<
		    8 | (uint32_t)chance(g, 300) << 5 |
		    (uint32_t)range(g, 1, 28);

	s->next_ticket = 1001;
	s->next_appt = 5001;
	s->next_lead = 101;
	s->next_po = 1;
	char tag[20];
	snprintf(tag, sizeof(tag), "%" PRIx64, p->seed);
	snprintf(s->evpfx, sizeof(s->evpfx), "p%s-%u-", tag, site);
	snprintf(s->tpfx, sizeof(s->tpfx), "T-%s-", tag);
	snprintf(s->apfx, sizeof(s->apfx), "A-%s-", tag);
	snprintf(s->lpfx, sizeof(s->lpfx), "L-%s-", tag);
	snprintf(s->popfx, sizeof(s->popfx), "PO-%s-", tag);
}

/* ---- planning -------------------------------------------------------- */

static uint32_t
pick_client(struct sim *s)
{
	if (chance(&s->rng, 200))
		return s->next_client++;
	return s->first_client +
	    (uint32_t)below(&s->rng, s->next_client - s->first_client);
}

/* Someone on shift with one of 'roles', or NONE. */
static uint8_t
pick_staff(struct sim *s, unsigned wd, unsigned roles)
{
	uint8_t		cand[NSTAFF];
	unsigned	n = 0;

	for (unsigned i = 0; i < NSTAFF; i++)
		if (on_shift(s, i, wd) && (roles & (1u << roster[i].role)))
			cand[n++] = (uint8_t)i;
	return n ? cand[below(&s->rng, n)] : NONE;
}

/* A service someone on shift can perform (fillers wait for an injector
 * who works that day), and who performs it. */
static unsigned
pick_service(struct sim *s, unsigned wd, uint8_t *staff)
{
	unsigned	i = 0;

	for (int tries = 0; tries < 16; tries++) {
		uint64_t w = below(&s->rng, s->svc_total);
		for (i = 0; w >= s->svc_w[i]; i++)
			w -= s->svc_w[i];
		if ((*staff = pick_staff(s, wd, services[i].roles)) != NONE)
			return i;
	}
	/* np-1, rn-1 and aes-1 are at every clinic: somebody can */
	for (unsigned j = 0; j < NSTAFF; j++)
		if (s->present[j] && (services[i].roles &
		    (1u << roster[j].role))) {
			*staff = (uint8_t)j;
			break;
		}
	return i;
}

static void
service_line(struct sim *s, unsigned i, uint8_t staff, struct line *l)
{
	const struct service	*sv = &services[i];
	int64_t			 list;

	l->sku = sv->sku;
	l->cat = sv->cat;
	l->staff = staff;
	l->item = sv->item;
	l->units = (uint32_t)range(&s->rng, sv->ulo, sv->uhi);
	list = permille(range(&s->rng, sv->lo, sv->hi), s->price_pm);
	list = list * l->units;
	if (sv->ulo == 1)	/* a whole service costs round dollars */
		list = (list + 50) / 100 * 100;
	l->discount = chance(&s->rng, 150) ?
	    list * range(&s->rng, 10, 20) / 100 : 0;
	l->amount = list - l->discount;
	l->tax = 0;
}

/* A product off the shelf, not the one 'other' already holds. */
static void
retail_line(struct sim *s, uint8_t staff, const struct line *other,
    struct line *l)
{
	uint64_t	w;
	unsigned	it;

	do {
		w = below(&s->rng, s->retail_total);
		for (it = FIRST_RETAIL; w >= items[it].weight; it++)
			w -= items[it].weight;
	} while (other != NULL && other->sku == items[it].sku);
	l->sku = items[it].sku;
	l->cat = CAT(RETAIL);
	l->staff = staff;
	l->item = (int8_t)it;
	l->units = chance(&s->rng, 200) ? 2 : 1;
	l->discount = 0;
	l->amount = (int64_t)items[it].retail * l->units;
	l->tax = (l->amount * s->tax_bp + 5000) / 10000;
}

static void
prepaid_line(struct sim *s, const struct prepaid *pp, uint8_t cat,
    uint8_t staff, struct line *l)
{
	l->sku = pp->sku;
	l->cat = cat;
	l->staff = staff;
	l->item = -1;
	l->units = 1;
	l->discount = l->tax = 0;
	l->amount = range(&s->rng, pp->lo / 100, pp->hi / 100) * 100;
}

static int
is_stored_value(uint8_t cat)
{
	return cat == CAT(GIFT_CARD) || cat == CAT(PACKAGE) ||
	    cat == CAT(MEMBERSHIP);
}

static void
pay(struct sim *s, int d, int64_t t, uint32_t ticket,
    Msosync__Payment__Method m, int64_t amount)
{
	struct rec	*r = push(s, d, t, K_PAYMENT);

	r->id = ticket;
	r->e1 = (uint8_t)m;
	r->m1 = amount;
}

/*
 * Ring up a ticket at 't': its lines (with inventory use for products and
 * now and then a line keyed by mistake and voided), then 1-2 payments
 * that sum to its total; sometimes a refund follows days later.
 * 'manual' is 0 for the membership dues run: always by card, no
 * mistakes, no refunds.
 */
static void
plan_ticket(struct sim *s, int d, int64_t t, const struct line *ln,
    unsigned n, uint32_t client, int manual)
{
	struct rng	*g = &s->rng;
	struct rec	*r;
	uint32_t	 ticket = s->next_ticket++;
	int64_t		 total = 0, end = t;
	int		 sv = 0;

	for (unsigned i = 0; i < n; i++) {
		const struct line *l = &ln[i];

		r = push(s, d, t, K_SALE);
		r->id = ticket;
		r->client = client;
		r->e1 = l->cat;
		r->e2 = l->staff;
		r->n = l->units;
		r->str = l->sku;
		r->m1 = l->amount;
		r->m2 = l->discount;
		r->m3 = l->tax;
		total += l->amount + l->tax;
		sv |= is_stored_value(l->cat);
		if (l->item >= 0) {
			s->need[l->item] += l->units;
			if (l->cat != CAT(RETAIL)) {
				r = push(s, d, t + 1, K_USAGE);
				r->id = ticket;
				r->e2 = (uint8_t)l->item;
				r->n = l->units;
			}
		}
		if (manual && chance(g, 2)) {
			uint8_t	why = (uint8_t)below(g, 2);
			int64_t	tm = t + range(g, 2, 4);
			int64_t	tv = tm + range(g, 30, 120);

			r = push(s, d, tm, K_SALE);
			r->id = ticket;
			r->client = client;
			r->e1 = l->cat;
			r->e2 = l->staff;
			r->e3 = F_MISTAKE;
			r->n = l->units;
			r->key = ++s->next_key;
			r->str = l->sku;
			r->m1 = why ? l->amount * 10 : l->amount;
			r->m2 = l->discount;
			r->m3 = why ? l->tax * 10 : l->tax;
			r = push(s, d, tv, K_VOID);
			r->e1 = why;
			r->key = s->next_key;
			if (tv > end)
				end = tv;
		}
		t += range(g, 5, 25);
	}
	if (t > end)
		end = t;
	t = end + range(g, 20, 90);

	uint32_t x = (uint32_t)below(g, 1000);
	if (sv || !manual)
		pay(s, d, t, ticket, !manual || x >= 150 ?
		    MSOSYNC__PAYMENT__METHOD__CARD :
		    MSOSYNC__PAYMENT__METHOD__CASH, total);
	else if (x < 150) {
		/* stored value first: membership credit or a gift card */
		int64_t part = x < 100 ? range(g, 50, 200) * 100 :
		    range(g, 2, 12) * 2500;
		if (part > total)
			part = total;
		pay(s, d, t, ticket, x < 100 ?
		    MSOSYNC__PAYMENT__METHOD__MEMBERSHIP_CREDIT :
		    MSOSYNC__PAYMENT__METHOD__GIFT_CARD, part);
		if (total > part)
			pay(s, d, t + range(g, 5, 30), ticket,
			    MSOSYNC__PAYMENT__METHOD__CARD, total - part);
	} else if (x < 220)
		pay(s, d, t, ticket, MSOSYNC__PAYMENT__METHOD__CASH, total);
	else if (x < 400 && total >= 100000)
		pay(s, d, t, ticket, MSOSYNC__PAYMENT__METHOD__FINANCING,
		    total);
	else if (x < 250 && total >= 2) {
		/* two cards */
		int64_t half = total / 2;
		pay(s, d, t, ticket, MSOSYNC__PAYMENT__METHOD__CARD, half);
		pay(s, d, t + range(g, 5, 30), ticket,
		    MSOSYNC__PAYMENT__METHOD__CARD, total - half);
	} else
		pay(s, d, t, ticket, MSOSYNC__PAYMENT__METHOD__CARD, total);

	/* Refunds come back days later, for a service or a product. */
	if (manual && chance(g, 40)) {
		const struct line *l = &ln[below(g, n)];
		int64_t amount;

		if (is_stored_value(l->cat))
			return;
		amount = l->cat == CAT(RETAIL) ? l->amount + l->tax :
		    l->amount * range(g, 30, 100) / 100;
		if (amount <= 0)
			return;
		r = push(s, d + (int)range(g, 1, 14), range(g, OPEN, CLOSE),
		    K_REFUND);
		r->id = ticket;
		r->e1 = l->cat == CAT(RETAIL) ? 0 : (uint8_t)range(g, 1, 4);
		r->m1 = amount;
	}
}

static void
appt(struct sim *s, int d, int64_t t, uint32_t id, uint32_t client,
    Msosync__Appointment__Status st, uint8_t staff, uint8_t cat,
    uint32_t dur, uint32_t flags)
{
	struct rec	*r = push(s, d, t, K_APPT);

	r->id = id;
	r->client = client;
	r->e1 = (uint8_t)st;
	r->e2 = staff;
	r->e3 = cat;
	r->n = dur;
	r->key = flags;
}

/* One appointment on day d: booked, then cancelled, missed or done. */
static void
plan_visit(struct sim *s, int d, unsigned wd)
{
	struct rng	*g = &s->rng;
	struct line	 ln[4];
	unsigned	 n = 0;
	uint8_t		 staff;
	unsigned	 sv = pick_service(s, wd, &staff);
	const struct service *svc = &services[sv];
	uint32_t	 client = pick_client(s), id = s->next_appt++;
	uint32_t	 dur = (uint32_t)(svc->dlo + 5 * below(g,
	    (uint64_t)(svc->dhi - svc->dlo) / 5 + 1));
	int64_t		 start = range(g, OPEN, CLOSE - dur * 60 - 900);
	int64_t		 tb;
	unsigned	 x = (unsigned)below(g, 100);
	int		 k;

	/* booked ahead: same day, days or weeks before */
	k = x < 22 ? 0 : x < 50 ? (int)range(g, 1, 3) : x < 82 ?
	    (int)range(g, 4, 7) : (int)range(g, 8, BOOK);
	if (k == 0 && start - 1800 <= OPEN)
		k = 1;
	tb = k == 0 ? range(g, OPEN, start - 1800) : range(g, OPEN, CLOSE);
	appt(s, d - k, tb, id, client, MSOSYNC__APPOINTMENT__STATUS__BOOKED,
	    staff, svc->cat, dur, 0);

	if (chance(g, 100)) {
		int	c = d - k + (int)below(g, (uint64_t)k + 1);
		int64_t	lo = c == d - k ? tb + 60 : OPEN;
		int64_t	hi = c == d ? start - 300 : CLOSE;

		if (lo > CLOSE)
			lo = CLOSE;
		appt(s, c, range(g, lo, hi < lo ? lo : hi), id, client,
		    MSOSYNC__APPOINTMENT__STATUS__CANCELLED, staff, svc->cat,
		    dur, 0);
		return;
	}
	if (chance(g, 70)) {
		appt(s, d, start + range(g, 900, 1800), id, client,
		    MSOSYNC__APPOINTMENT__STATUS__NO_SHOW, staff, svc->cat,
		    dur, 0);
		return;
	}
	int64_t done = start + dur * 60;
	appt(s, d, done, id, client, MSOSYNC__APPOINTMENT__STATUS__COMPLETED,
	    staff, svc->cat, dur, (chance(g, 500) ? F_REBOOKED : 0) |
	    (chance(g, 970) ? F_CONSENT : 0));

	service_line(s, sv, staff, &ln[n++]);
	if (chance(g, 150)) {
		/* a second service the same provider performs */
		uint64_t w = below(g, s->svc_total);
		unsigned j;
		for (j = 0; w >= s->svc_w[j]; j++)
			w -= s->svc_w[j];
		if (j != sv && (services[j].roles &
		    (1u << roster[staff].role)))
			service_line(s, j, staff, &ln[n++]);
	}
	if (chance(g, 380)) {
		retail_line(s, staff, NULL, &ln[n]);
		if (chance(g, 300)) {
			retail_line(s, staff, &ln[n], &ln[n + 1]);
			n++;
		}
		n++;
	}
	if (n < 4 && chance(g, 25))
		prepaid_line(s, &packages[below(g, 3)], CAT(PACKAGE), staff,
		    &ln[n++]);
	if (n < 4 && chance(g, 10))
		prepaid_line(s, &giftcard,
		    CAT(GIFT_CARD), staff, &ln[n++]);
	plan_ticket(s, d, done + range(g, 60, 300), ln, n, client, 1);
}

/* A client without an appointment: retail, or a gift card. */
static void
plan_walkin(struct sim *s, int d, unsigned wd)
{
	struct rng	*g = &s->rng;
	struct line	 ln[3];
	unsigned	 n = 0;
	uint8_t		 staff = pick_staff(s, wd, RM(FRONT_DESK));

	if (chance(g, 300))
		prepaid_line(s, &giftcard,
		    CAT(GIFT_CARD), staff, &ln[n++]);
	else {
		retail_line(s, staff, NULL, &ln[0]);
		n = 1;
		if (chance(g, 350)) {
			retail_line(s, staff, &ln[0], &ln[1]);
			n = 2;
			if (chance(g, 300)) {
				retail_line(s, staff, &ln[1], &ln[2]);
				n = 3;
			}
		}
	}
	plan_ticket(s, d, range(g, OPEN, CLOSE - 900), ln, n, pick_client(s),
	    1);
}

/* A lead's life: new, maybe contacted, booked, converted or lost, each a
 * separate event on its own day. */
static void
plan_lead(struct sim *s, int d)
{
	struct rng	*g = &s->rng;
	uint32_t	 id = s->next_lead++;
	uint64_t	 w = below(g, 100);
	unsigned	 src = 0;
	uint8_t		 camp;
	int64_t		 t = range(g, OPEN, CLOSE - 3600);
	int		 day = d;
	struct rec	*r;

	while (w >= sources[src].weight)
		w -= sources[src++].weight;
	camp = sources[src].n ? (uint8_t)below(g, sources[src].n) : NONE;

#define LEAD(dd, tt, st) do {						\
		r = push(s, (dd), (tt), K_LEAD);			\
		r->id = id;						\
		r->e1 = (uint8_t)src;					\
		r->e2 = camp;						\
		r->e3 = MSOSYNC__LEAD__STATUS__##st;			\
	} while (0)

	LEAD(day, t, NEW);
	if (!chance(g, 850)) {
		if (chance(g, 600))
			LEAD(day + (int)range(g, 7, 21), range(g, OPEN, CLOSE),
			    LOST);
		return;
	}
	if (t < 21 * 3600 && chance(g, 450))
		t = range(g, t + 600, t + 3600);
	else {
		day += (int)range(g, 1, 2);
		t = range(g, OPEN, CLOSE);
	}
	LEAD(day, t, CONTACTED);
	if (!chance(g, 450)) {
		if (chance(g, 550))
			LEAD(day + (int)range(g, 5, 20), range(g, OPEN, CLOSE),
			    LOST);
		return;
	}
	day += (int)range(g, 1, 6);
	LEAD(day, range(g, OPEN, CLOSE), BOOKED);
	if (chance(g, 720))
		LEAD(day + (int)range(g, 2, 14), range(g, OPEN, CLOSE),
		    CONVERTED);
	else
		LEAD(day + (int)range(g, 3, 14), range(g, OPEN, CLOSE), LOST);
#undef LEAD
}

/* The day's event target: the rate shaped by weekday, +-10%. */
static uint64_t
target(struct sim *s, unsigned wd)
{
	static const uint16_t dow[7] = { 550, 1000, 1050, 1050, 1100, 1150,
	    1100 };		/* Sunday first; averages 1000 */

	return (uint64_t)s->p->rate * dow[wd] * range(&s->rng, 900, 1100) /
	    1000000;
}

static void
plan_leads(struct sim *s, int d, uint64_t t)
{
	uint64_t	n = t * s->lead_pm;

	/* whole leads, the fraction by chance */
	n = n / 1000 + (below(&s->rng, 1000) < n % 1000);
	while (n-- > 0)
		plan_lead(s, d);
}

static void
plan_credentials(struct sim *s, int d)
{
	int64_t		t = OPEN + 120;
	struct rec	*r;

	for (unsigned i = 0; i < s->ncred; i++) {
		struct cred *c = &s->cred[i];

		if (d == 0 || c->renew == d) {
			if (c->renew == d) {
				uint32_t ymd = ymd_of(s->day0 + d);
				unsigned years = c->is_license ?
				    licdefs[c->what].years : 1;
				c->completed = d;
				c->expires = (int32_t)(epoch_day(years_later(
				    c->is_license ? ymd_of(s->day0 +
				    c->expires) : ymd, years)) - s->day0);
				if (c->expires <= d)	/* long lapsed */
					c->expires = (int32_t)(epoch_day(
					    years_later(ymd, years)) - s->day0);
				c->renew = renewal(s, c->expires,
				    c->is_license ? 930 : 880);
			}
			r = push(s, d, d == 0 ? t++ : range(&s->rng, OPEN,
			    CLOSE), c->is_license ? K_LICENSE : K_TRAINING);
			r->e2 = c->staff;
			r->e1 = c->what;
			r->n = ymd_of(s->day0 + c->completed);
			r->key = ymd_of(s->day0 + c->expires);
		}
	}
}

static void
plan_fixed(struct sim *s, int d, unsigned wd)
{
	struct rng	*g = &s->rng;
	int64_t		 e = s->day0 + d;
	uint32_t	 ymd = ymd_of(e);
	unsigned	 dom = ymd % 100, month = ymd / 100 % 100;
	struct rec	*r;

	/* Contracts as signed, then the amendments. */
	for (unsigned i = 0; i < s->nk; i++)
		if (d == 0 || s->k[i].amend_day == d) {
			r = push(s, d, OPEN + i, K_CONTRACT);
			r->e1 = (uint8_t)i;
			r->e2 = d == s->k[i].amend_day;
		}
	plan_credentials(s, d);

	for (unsigned i = 0; i < NSTAFF; i++) {
		uint32_t	min;

		if (!on_shift(s, i, wd))
			continue;
		if (wd == 0)
			min = (uint32_t)range(g, 300, 420);
		else if (roster[i].role == ROLE(MD))
			min = (uint32_t)range(g, 240, 480);
		else
			min = (uint32_t)range(g, 420, 570);
		int64_t t = OPEN + min * 60 + range(g, 0, 1800);
		r = push(s, d, t > CLOSE ? CLOSE : t, K_SHIFT);
		r->e2 = (uint8_t)i;
		r->n = min;
		s->pay_min[roster[i].role] += min;
	}

	for (unsigned b = 0; b < NBILL; b++) {
		const struct bill *bl = &bills[b];

		if (bl->when & WEEKLY ? (bl->when & 7) != wd : bl->when != dom)
			continue;
		r = push(s, d, range(g, OPEN, OPEN + 7200), K_EXPENSE);
		r->e1 = bl->cat;
		r->e2 = bl->payee;
		r->m1 = permille(s->bill_base[b], range(g, 1000 - bl->jitter,
		    1000 + bl->jitter));
	}
	if (wd == 5 && (unsigned)((e + 3) / 7 % 2) == s->payroll_parity) {
		int64_t cents = 0;

		for (unsigned i = 0; i < 8; i++) {
			cents += (int64_t)s->pay_min[i] * hourly[i] / 60;
			s->pay_min[i] = 0;
		}
		cents = permille(cents, 1100);	/* employer taxes */
		if (cents > 0) {
			r = push(s, d, range(g, OPEN, OPEN + 7200), K_EXPENSE);
			r->e1 = EXP(PAYROLL);
			r->e2 = P_PAYROLL;
			r->m1 = cents;
		}
	}
	if (chance(g, 80)) {
		r = push(s, d, range(g, OPEN, CLOSE), K_EXPENSE);
		r->e1 = EXP(OTHER);
		r->e2 = P_MISC;
		r->m1 = range(g, 2000, 30000);
	}

	/* Membership dues, billed in the morning run. */
	int64_t t = OPEN + 60;
	for (unsigned i = 0; i < s->nmembers; i++) {
		uint32_t	m = s->members[i];
		struct line	l;

		if ((m & 31) != dom)
			continue;
		prepaid_line(s, &tiers[m >> 5 & 1], CAT(MEMBERSHIP), NONE, &l);
		plan_ticket(s, d, t, &l, 1, m >> 8, 0);
		t += range(g, 2, 6);
	}

	/* Weekly orders replace what was used, at the contract price or,
	 * now and then, a little over it. */
	for (unsigned i = 0; i < s->nk; i++) {
		struct contract	*k = &s->k[i];
		int		 v = d >= k->amend_day;

		if (k->order_wday != wd)
			continue;
		t = range(g, OPEN + 3600, OPEN + 3 * 3600);
		for (unsigned j = 0; j < k->nprice; j++) {
			unsigned	it = k->price_item[j];
			int64_t		q;

			if (s->need[it] <= 0)
				continue;
			q = (permille(s->need[it], range(g, 1000, 1150)) +
			    items[it].pack - 1) / items[it].pack;
			s->need[it] -= q * items[it].pack;
			r = push(s, d, t, K_PO);
			r->id = s->next_po++;
			r->e1 = (uint8_t)i;
			r->e2 = (uint8_t)it;
			r->n = (uint32_t)q;
			r->m1 = chance(g, 100) ? permille(k->price[v][j],
			    range(g, 1030, 1080)) : k->price[v][j];
			t += range(g, 10, 60);
		}
	}

	/* Compliance: consent audit and device maintenance monthly, OSHA
	 * quarterly, the HIPAA risk assessment once a year. */
	for (unsigned a = AREA(HIPAA_RISK_ASSESSMENT); a <= AREA(CONSENT_AUDIT);
	    a++) {
		int due;

		switch (a) {
		case AREA(HIPAA_RISK_ASSESSMENT):
			due = month == s->hipaa_month && dom == 20;
			break;
		case AREA(OSHA_INSPECTION):
			due = month % 3 == 1 && dom == s->osha_dom;
			break;
		case AREA(DEVICE_MAINTENANCE):
			due = dom == s->device_dom;
			break;
		default:
			due = dom == s->audit_dom;
			break;
		}
		if (!due)
			continue;
		uint32_t x = (uint32_t)below(g, 100);
		r = push(s, d, range(g, OPEN + 1800, CLOSE - 3600), K_CHECK);
		r->e1 = (uint8_t)a;
		r->e3 = x < 82 ? RESULT(PASS) : x < 97 ? RESULT(FINDINGS) :
		    RESULT(FAIL);
		r->n = x < 82 ? 0 : x < 97 ? (uint32_t)range(g, 1, 4) :
		    (uint32_t)range(g, 3, 8);
	}
}

static void
plan_day(struct sim *s, int d)
{
	unsigned	wd = weekday(s->day0 + d);
	uint64_t	t;
	int64_t		budget;

	s->cur = d;
	t = target(s, wd);
	plan_fixed(s, d, wd);
	plan_leads(s, d, t);
	budget = (int64_t)t - (int64_t)s->ring[d % RING].n;
	while (budget > 0) {
		uint64_t before = s->planned;

		if (chance(&s->rng, s->walkin_pm))
			plan_walkin(s, d, wd);
		else
			plan_visit(s, d, wd);
		budget -= (int64_t)(s->planned - before);
	}
}

/* ---- writing --------------------------------------------------------- */

/* 'pfx' then 'n' in decimal, into 'dst'. */
static char *
idfmt(char *dst, const char *pfx, uint64_t n)
{
	char	tmp[24];
	size_t	i = 0, k = 0;

	while (pfx[i] != '\0') {
		dst[i] = pfx[i];
		i++;
	}
	do
		tmp[k++] = (char)('0' + n % 10);
	while ((n /= 10) != 0);
	while (k > 0)
		dst[i++] = tmp[--k];
	dst[i] = '\0';
	return dst;
}

static int
emit_rec(struct sim *s, const struct rec *r)
{
	Msosync__Event		 ev = MSOSYNC__EVENT__INIT;
	char			 eid[64], id[48], client[24], ref[64];
	Msosync__RebateTier	 tier[3], *tierp[3];
	Msosync__ContractPrice	 price[8], *pricep[8];
	union {
		Msosync__Sale			sale;
		Msosync__Payment		payment;
		Msosync__Refund			refund;
		Msosync__Expense		expense;
		Msosync__PurchaseOrder		po;
		Msosync__InventoryUsage		usage;
		Msosync__VendorContract		contract;
		Msosync__Lead			lead;
		Msosync__Appointment		appt;
		Msosync__StaffShift		shift;
		Msosync__Training		training;
		Msosync__License		license;
		Msosync__ComplianceCheck	check;
		Msosync__Void			void_;
	} b;

	ev.event_id = idfmt(eid, s->evpfx, ++s->nev);
	ev.occurred_at = r->t;
	switch ((enum kind)r->kind) {
	case K_SALE:
		msosync__sale__init(&b.sale);
		b.sale.ticket_id = idfmt(id, s->tpfx, r->id);
		b.sale.category = r->e1;
		b.sale.amount_cents = r->m1;
		b.sale.discount_cents = r->m2;
		b.sale.tax_cents = r->m3;
		b.sale.units = r->n;
		b.sale.sku = (char *)r->str;
		if (r->e2 != NONE)
			b.sale.provider_ref = (char *)roster[r->e2].ref;
		b.sale.client_id = idfmt(client, "c-", r->client);
		ev.body_case = MSOSYNC__EVENT__BODY_SALE;
		ev.sale = &b.sale;
		if (r->e3 & F_MISTAKE) {
			unsigned i = s->nmistakes++ % MISTAKES;

			s->mistakes[i].key = r->key;
			s->mistakes[i].ev = s->nev;
		}
		break;
	case K_PAYMENT:
		msosync__payment__init(&b.payment);
		b.payment.ticket_id = idfmt(id, s->tpfx, r->id);
		b.payment.amount_cents = r->m1;
		b.payment.method = r->e1;
		ev.body_case = MSOSYNC__EVENT__BODY_PAYMENT;
		ev.payment = &b.payment;
		break;
	case K_REFUND:
		msosync__refund__init(&b.refund);
		b.refund.ticket_id = idfmt(id, s->tpfx, r->id);
		b.refund.amount_cents = r->m1;
		b.refund.reason = (char *)refund_reasons[r->e1];
		ev.body_case = MSOSYNC__EVENT__BODY_REFUND;
		ev.refund = &b.refund;
		break;
	case K_EXPENSE:
		msosync__expense__init(&b.expense);
		b.expense.category = r->e1;
		b.expense.amount_cents = r->m1;
		b.expense.vendor_id = (char *)payees[r->e2];
		ev.body_case = MSOSYNC__EVENT__BODY_EXPENSE;
		ev.expense = &b.expense;
		break;
	case K_PO: {
		const struct contract *k = &s->k[r->e1];

		msosync__purchase_order__init(&b.po);
		b.po.po_id = idfmt(id, s->popfx, r->id);
		b.po.vendor_id = (char *)vendors[k->vendor].id;
		b.po.contract_id = (char *)k->id;
		b.po.sku = (char *)items[r->e2].sku;
		b.po.quantity = r->n;
		b.po.unit_price_cents = r->m1;
		ev.body_case = MSOSYNC__EVENT__BODY_PURCHASE_ORDER;
		ev.purchase_order = &b.po;
		break;
	}
	case K_USAGE:
		msosync__inventory_usage__init(&b.usage);
		b.usage.sku = (char *)items[r->e2].sku;
		b.usage.quantity = r->n;
		b.usage.ticket_id = idfmt(id, s->tpfx, r->id);
		ev.body_case = MSOSYNC__EVENT__BODY_INVENTORY_USAGE;
		ev.inventory_usage = &b.usage;
		break;
	case K_CONTRACT: {
		const struct contract *k = &s->k[r->e1];

		msosync__vendor_contract__init(&b.contract);
		b.contract.contract_id = (char *)k->id;
		b.contract.vendor_id = (char *)vendors[k->vendor].id;
		b.contract.vendor_name = (char *)vendors[k->vendor].name;
		b.contract.status = r->e2 ?
		    MSOSYNC__VENDOR_CONTRACT__STATUS__AMENDED :
		    MSOSYNC__VENDOR_CONTRACT__STATUS__SIGNED;
		b.contract.start_date = k->start;
		b.contract.end_date = k->end;
		b.contract.notice_days = k->notice;
		b.contract.auto_renew = k->auto_renew;
		b.contract.rebate_bp = k->rebate_bp[r->e2];
		for (unsigned i = 0; i < k->ntier; i++) {
			msosync__rebate_tier__init(&tier[i]);
			tier[i].min_spend_cents = k->tier_min[i];
			tier[i].rebate_bp = (uint32_t)(k->tier_bp[i] +
			    k->rebate_bp[r->e2] - k->rebate_bp[0]);
			tierp[i] = &tier[i];
		}
		b.contract.n_rebate_tiers = k->ntier;
		b.contract.rebate_tiers = tierp;
		for (unsigned i = 0; i < k->nprice; i++) {
			msosync__contract_price__init(&price[i]);
			price[i].sku = (char *)items[k->price_item[i]].sku;
			price[i].unit_price_cents = k->price[r->e2][i];
			pricep[i] = &price[i];
		}
		b.contract.n_prices = k->nprice;
		b.contract.prices = pricep;
		b.contract.min_annual_commit_cents = k->commit;
		ev.body_case = MSOSYNC__EVENT__BODY_VENDOR_CONTRACT;
		ev.vendor_contract = &b.contract;
		break;
	}
	case K_LEAD:
		msosync__lead__init(&b.lead);
		b.lead.lead_id = idfmt(id, s->lpfx, r->id);
		b.lead.source = sources[r->e1].source;
		if (r->e2 != NONE)
			b.lead.campaign =
			    (char *)sources[r->e1].campaign[r->e2];
		b.lead.status = r->e3;
		ev.body_case = MSOSYNC__EVENT__BODY_LEAD;
		ev.lead = &b.lead;
		break;
	case K_APPT:
		msosync__appointment__init(&b.appt);
		b.appt.appointment_id = idfmt(id, s->apfx, r->id);
		b.appt.status = r->e1;
		b.appt.category = r->e3;
		b.appt.duration_min = r->n;
		b.appt.provider_ref = (char *)roster[r->e2].ref;
		b.appt.client_id = idfmt(client, "c-", r->client);
		b.appt.rebooked = (r->key & F_REBOOKED) != 0;
		b.appt.consent_documented = (r->key & F_CONSENT) != 0;
		ev.body_case = MSOSYNC__EVENT__BODY_APPOINTMENT;
		ev.appointment = &b.appt;
		break;
	case K_SHIFT:
		msosync__staff_shift__init(&b.shift);
		b.shift.staff_ref = (char *)roster[r->e2].ref;
		b.shift.role = roster[r->e2].role;
		b.shift.minutes = r->n;
		ev.body_case = MSOSYNC__EVENT__BODY_STAFF_SHIFT;
		ev.staff_shift = &b.shift;
		break;
	case K_TRAINING:
		msosync__training__init(&b.training);
		b.training.staff_ref = (char *)roster[r->e2].ref;
		b.training.course = r->e1;
		b.training.completed_on = r->n;
		b.training.expires_on = r->key;
		ev.body_case = MSOSYNC__EVENT__BODY_TRAINING;
		ev.training = &b.training;
		break;
	case K_LICENSE:
		msosync__license__init(&b.license);
		b.license.staff_ref = (char *)roster[r->e2].ref;
		b.license.license_type = (char *)licdefs[r->e1].type;
		b.license.expires_on = r->key;
		ev.body_case = MSOSYNC__EVENT__BODY_LICENSE;
		ev.license = &b.license;
		break;
	case K_CHECK:
		msosync__compliance_check__init(&b.check);
		b.check.area = r->e1;
		b.check.result = r->e3;
		b.check.findings = r->n;
		ev.body_case = MSOSYNC__EVENT__BODY_COMPLIANCE_CHECK;
		ev.compliance_check = &b.check;
		break;
	case K_VOID: {
		unsigned i;

		/* the mistaken line was written minutes ago */
		for (i = 0; i < MISTAKES; i++)
			if (s->mistakes[i].key == r->key)
				break;
		assert(i < MISTAKES);
		msosync__void__init(&b.void_);
		b.void_.voided_event_id = idfmt(ref, s->evpfx,
		    s->mistakes[i].ev);
		b.void_.reason = (char *)void_reasons[r->e1];
		s->mistakes[i].key = 0;
		ev.body_case = MSOSYNC__EVENT__BODY_VOID;
		ev.void_ = &b.void_;
		break;
	}
	}
	return s->emit(&ev, s->arg);
}

static int
emit_day(struct sim *s, int d)
{
	struct bucket	*b = &s->ring[d % RING];
	int		 rc = 0;

	qsort(b->v, b->n, sizeof(*b->v), rec_cmp);
	for (size_t i = 0; i < b->n && rc == 0; i++)
		rc = emit_rec(s, &b->v[i]);
	b->n = 0;
	return rc;
}

/* ---- the API --------------------------------------------------------- */

int
sim_check(const struct sim_params *p, char *err, size_t errlen)
{
	char	tmp[8];

	if (err == NULL) {
		err = tmp;
		errlen = sizeof(tmp);
	}
	if (p->days < 1 || p->days > SIM_DAYS_MAX) {
		snprintf(err, errlen, "days must be from 1 to %d",
		    SIM_DAYS_MAX);
		return MSOSYNC_EINVAL;
	}
	if (p->rate < 1 || p->rate > SIM_RATE_MAX) {
		snprintf(err, errlen, "rate must be from 1 to %d",
		    SIM_RATE_MAX);
		return MSOSYNC_EINVAL;
	}
	if (!is_date(p->end_date) || p->end_date > 90001231) {
		snprintf(err, errlen, "end date %" PRIu32 " is not a date",
		    p->end_date);
		return MSOSYNC_EINVAL;
	}
	if (epoch_day(p->end_date) - p->days + 1 < epoch_day(SIM_FIRST_DATE)) {
		snprintf(err, errlen, "the first day (end date - days + 1) "
		    "would be before 2000-01-01");
		return MSOSYNC_EINVAL;
	}
	return 0;
}

int
sim_generate(const struct sim_params *p, unsigned site, sim_emit_fn emit,
    void *arg, uint64_t *nevents)
{
	struct sim	*s = NULL;
	int		 rc;

	if (nevents != NULL)
		*nevents = 0;
	if ((rc = sim_check(p, NULL, 0)) != 0)
		goto done;
	if (site < 1 || site > SIM_SITES_MAX) {
		rc = MSOSYNC_EINVAL;
		goto done;
	}
	s = xcalloc(1, sizeof(*s));
	s->emit = emit;
	s->arg = arg;
	setup(s, p, site);

	/* Leads of the weeks before still move on in the first days. */
	for (int d = -FWD; d < 0; d++) {
		s->cur = d;
		plan_leads(s, d, target(s, weekday(s->day0 + d)));
	}
	for (int d = 0; d < s->days + BOOK; d++) {
		plan_day(s, d);
		if (d >= BOOK && (rc = emit_day(s, d - BOOK)) != 0)
			break;
	}
	if (nevents != NULL)
		*nevents = s->nev;
done:
	if (s != NULL) {
		for (unsigned i = 0; i < RING; i++)
			free(s->ring[i].v);
		free(s->members);
		free(s);
	}
	return rc;
}

struct sink {
	struct buf	*b;
	FILE		*f;
	int		 err;
};

static int
flush(struct sink *k)
{
	if (k->b->len > 0 && fwrite(k->b->data, 1, k->b->len, k->f) !=
	    k->b->len) {
		k->err = errno ? -errno : -EIO;
		return k->err;
	}
	buf_reset(k->b);
	return 0;
}

static int
put(const Msosync__Event *ev, void *arg)
{
	struct sink	*k = arg;

	pbjson_encode(&ev->base, k->b);
	buf_putc(k->b, '\n');
	if (k->f != NULL && k->b->len >= FLUSH_AT)
		return flush(k);
	return 0;
}

int
sim_write(const struct sim_params *p, unsigned site, FILE *out,
    uint64_t *nevents)
{
	struct buf	b = { 0 };
	struct sink	k = { &b, out, 0 };
	int		rc;

	buf_reserve(&b, FLUSH_AT + 65536);
	errno = 0;
	if ((rc = sim_generate(p, site, put, &k, nevents)) == 0 &&
	    (rc = flush(&k)) == 0 && fflush(out) != 0)
		rc = errno ? -errno : -EIO;
	buf_free(&b);
	return rc;
}

int
sim_write_buf(const struct sim_params *p, unsigned site, struct buf *out,
    uint64_t *nevents)
{
	struct sink	k = { out, NULL, 0 };
	size_t		len = out->len;
	int		rc;

	if ((rc = sim_generate(p, site, put, &k, nevents)) != 0) {
		out->len = len;
		if (out->data != NULL)
			out->data[len] = '\0';
	}
	return rc;
}

/* ---- msoctl simulate ------------------------------------------------- */

#define USAGE	"usage: msoctl simulate [--sites N] [--days D] " \
		"[--rate EVENTS_PER_DAY] [--seed S]\n" \
		"                        [--end YYYY-MM-DD] [--out DIR]\n"

static uint32_t
today_utc(void)
{
	time_t		now = time(NULL);
	struct tm	tm;

	gmtime_r(&now, &tm);
	return (uint32_t)((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 +
	    tm.tm_mday);
}

static int
parse_seed(const char *v, uint64_t *out)
{
	char			*end;
	unsigned long long	 x;

	if (v[0] < '0' || v[0] > '9')
		return -1;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = x;
	return 0;
}

static int
write_site(const struct sim_params *p, const char *dir, unsigned site)
{
	char		*path = xasprintf("%s/site-%u.ndjson", dir, site);
	FILE		*f;
	uint64_t	 n = 0;
	int		 rc;

	if ((f = fopen(path, "w")) == NULL) {
		fprintf(stderr, "msoctl simulate: %s: %s\n", path,
		    strerror(errno));
		free(path);
		return 1;
	}
	rc = sim_write(p, site, f, &n);
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	if (rc != 0) {
		fprintf(stderr, "msoctl simulate: %s: %s\n", path,
		    msosync_strerror(rc));
		free(path);
		return 1;
	}
	printf("%s: %" PRIu64 " events\n", path, n);
	free(path);
	return 0;
}

int
cmd_simulate(int argc, char **argv)
{
	struct opts		 o;
	struct sim_params	 p;
	char			 err[256];
	const char		*v, *dir;
	long long		 x;
	unsigned		 sites;
	struct stat		 st;
	unsigned		 date;

	if (opts_parse(&o, argc, argv, "help! sites days rate seed end out",
	    err, sizeof(err)) != 0)
		goto usage;
	if (opts_get(&o, "help") != NULL) {
		printf("%s", USAGE);
		return 0;
	}
	if (o.npos != 0) {
		snprintf(err, sizeof(err), "unexpected argument '%s'",
		    o.pos[0]);
		goto usage;
	}
	memset(&p, 0, sizeof(p));
	if (opts_get_ll(&o, "sites", 1, 1, SIM_SITES_MAX, &x, err,
	    sizeof(err)) != 0)
		goto usage;
	sites = (unsigned)x;
	if (opts_get_ll(&o, "days", 7, 1, SIM_DAYS_MAX, &x, err,
	    sizeof(err)) != 0)
		goto usage;
	p.days = (unsigned)x;
	if (opts_get_ll(&o, "rate", 400, 1, SIM_RATE_MAX, &x, err,
	    sizeof(err)) != 0)
		goto usage;
	p.rate = (unsigned)x;
	p.seed = 1;
	if ((v = opts_get(&o, "seed")) != NULL && parse_seed(v, &p.seed) != 0) {
		snprintf(err, sizeof(err), "--seed: expected a whole number "
		    "from 0 to %" PRIu64 ", got '%s'", UINT64_MAX, v);
		goto usage;
	}
	p.end_date = today_utc();
	if ((v = opts_get(&o, "end")) != NULL) {
		if (pbjson_parse_date(v, &date) != 0 || !is_date(date)) {
			snprintf(err, sizeof(err), "--end: expected a date "
			    "YYYY-MM-DD, got '%s'", v);
			goto usage;
		}
		p.end_date = date;
	}
	if (sim_check(&p, err, sizeof(err)) != 0)
		goto usage;
	dir = opts_get(&o, "out");
	if (dir != NULL && dir[0] == '\0') {
		snprintf(err, sizeof(err), "--out needs a directory");
		goto usage;
	}
	if (dir == NULL && sites > 1) {
		snprintf(err, sizeof(err), "--sites N needs --out DIR");
		goto usage;
	}
	if (p.end_date > today_utc())
		fprintf(stderr, "msoctl simulate: note: an agent refuses "
		    "events more than 24 hours ahead of its clock\n");

	if (dir == NULL) {
		int rc = sim_write(&p, 1, stdout, NULL);

		if (rc != 0) {
			fprintf(stderr, "msoctl simulate: stdout: %s\n",
			    msosync_strerror(rc));
			return 1;
		}
		return 0;
	}
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "msoctl simulate: %s: %s\n", dir,
		    strerror(errno));
		return 1;
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "msoctl simulate: %s: not a directory\n", dir);
		return 1;
	}
	for (unsigned i = 1; i <= sites; i++)
		if (write_site(&p, dir, i) != 0)
			return 1;
	return 0;

usage:
	fprintf(stderr, "msoctl simulate: %s\n" USAGE, err);
	return EXIT_USAGE;
}
