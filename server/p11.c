/* The PKCS#11 module, its token, the login and the session pool
 * (server/p11.h). Plain PKCS#11 2.40 through the module's function list, so
 * SoftHSM2 in the tests and a hardware module in production are the same
 * code. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "common/scheme.h"
#include "p11.h"
#include "server.h"

const char *srv_p11_rv_name(CK_RV rv, char buf[24])
{
	static const struct {
		CK_RV rv;
		const char *name;
	} names[] = {
		{CKR_OK, "CKR_OK"},
		{CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT"},
		{CKR_PIN_LOCKED, "CKR_PIN_LOCKED"},
		{CKR_PIN_LEN_RANGE, "CKR_PIN_LEN_RANGE"},
		{CKR_USER_PIN_NOT_INITIALIZED, "CKR_USER_PIN_NOT_INITIALIZED"},
		{CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT"},
		{CKR_TOKEN_NOT_RECOGNIZED, "CKR_TOKEN_NOT_RECOGNIZED"},
		{CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR"},
		{CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR"},
		{CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED"},
		{CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID"},
		{CKR_MECHANISM_PARAM_INVALID, "CKR_MECHANISM_PARAM_INVALID"},
		{CKR_TEMPLATE_INCONSISTENT, "CKR_TEMPLATE_INCONSISTENT"},
		{CKR_TEMPLATE_INCOMPLETE, "CKR_TEMPLATE_INCOMPLETE"},
		{CKR_ATTRIBUTE_SENSITIVE, "CKR_ATTRIBUTE_SENSITIVE"},
		{CKR_ATTRIBUTE_VALUE_INVALID, "CKR_ATTRIBUTE_VALUE_INVALID"},
		{CKR_KEY_UNEXTRACTABLE, "CKR_KEY_UNEXTRACTABLE"},
		{CKR_KEY_FUNCTION_NOT_PERMITTED, "CKR_KEY_FUNCTION_NOT_PERMITTED"},
		{CKR_KEY_TYPE_INCONSISTENT, "CKR_KEY_TYPE_INCONSISTENT"},
		{CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN"},
		{CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID"},
		{CKR_SESSION_COUNT, "CKR_SESSION_COUNT"},
		{CKR_HOST_MEMORY, "CKR_HOST_MEMORY"},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].rv == rv)
			return names[i].name;
	snprintf(buf, 24, "CKR_0x%lx", (unsigned long)rv);
	return buf;
}

/* The user PIN from a 0600 file: its first line, white space trimmed. */
static int read_pin(const char *path, char *pin, size_t cap, size_t *len, char *err,
		    size_t errlen)
{
	ssize_t n;
	int fd = srv_secret_open(path, err, errlen);

	if (fd < 0)
		return -1;
	n = read(fd, pin, cap - 1);
	close(fd);
	if (n < 0)
		n = 0;
	pin[n] = '\0';
	pin[strcspn(pin, "\r\n")] = '\0';
	*len = strlen(pin);
	while (*len > 0 && (pin[*len - 1] == ' ' || pin[*len - 1] == '\t'))
		pin[--*len] = '\0';
	if (*len == 0) {
		snprintf(err, errlen, "%s holds no PIN", path);
		return -1;
	}
	return 0;
}

/* The slot whose token is labelled label (CK_TOKEN_INFO pads it with
 * spaces to 32 bytes). 0, or -1 with err. */
static int find_slot(struct srv_p11 *p, const char *label, char *err, size_t errlen)
{
	CK_SLOT_ID slots[64];
	CK_ULONG n = 64;
	CK_TOKEN_INFO info;
	char want[32], rvb[24];
	size_t len = strlen(label);
	CK_RV rv;

	if (len > sizeof(want)) {
		snprintf(err, errlen, "token label '%s' is longer than 32 bytes", label);
		return -1;
	}
	memset(want, ' ', sizeof(want));
	memcpy(want, label, len);
	rv = p->f->C_GetSlotList(CK_TRUE, slots, &n);
	if (rv != CKR_OK) {
		snprintf(err, errlen, "C_GetSlotList: %s", srv_p11_rv_name(rv, rvb));
		return -1;
	}
	for (CK_ULONG i = 0; i < n; i++) {
		if (p->f->C_GetTokenInfo(slots[i], &info) == CKR_OK &&
		    memcmp(info.label, want, sizeof(want)) == 0) {
			p->slot = slots[i];
			return 0;
		}
	}
	snprintf(err, errlen, "no token labelled '%s' (%lu token%s present)", label,
		 (unsigned long)n, n == 1 ? "" : "s");
	return -1;
}

int srv_p11_open(struct srv_p11 *p, const char *module, const char *label,
		 const char *pin_file, char *err, size_t errlen)
{
	CK_C_INITIALIZE_ARGS args;
	CK_RV (*get_list)(CK_FUNCTION_LIST **);
	char pin[256], rvb[24], why[256];
	size_t pin_len = 0;
	CK_RV rv;

	memset(p, 0, sizeof(*p));
	p->login = CK_INVALID_HANDLE;
	snprintf(p->label, sizeof(p->label), "%s", label);
	pthread_mutex_init(&p->mu, NULL);
	p->dl = dlopen(module, RTLD_NOW | RTLD_LOCAL);
	if (!p->dl) {
		snprintf(err, errlen, "cannot load the PKCS#11 module %s: %s", module, dlerror());
		goto fail;
	}
	*(void **)&get_list = dlsym(p->dl, "C_GetFunctionList");
	if (!get_list || get_list(&p->f) != CKR_OK || !p->f) {
		snprintf(err, errlen, "%s is not a PKCS#11 module (no C_GetFunctionList)", module);
		goto fail;
	}
	/* The verify threads and the writer call in at once: the module
	 * locks with the operating system's primitives. */
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	rv = p->f->C_Initialize(&args);
	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		snprintf(err, errlen, "%s: C_Initialize: %s", module, srv_p11_rv_name(rv, rvb));
		goto fail;
	}
	p->finalize = rv == CKR_OK;
	if (find_slot(p, label, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "PKCS#11 module %s: %s", module, why);
		goto fail;
	}
	if (read_pin(pin_file, pin, sizeof(pin), &pin_len, err, errlen) != 0)
		goto fail;
	rv = p->f->C_OpenSession(p->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
				 &p->login);
	if (rv == CKR_OK) {
		rv = p->f->C_Login(p->login, CKU_USER, (CK_UTF8CHAR *)pin, (CK_ULONG)pin_len);
		if (rv == CKR_USER_ALREADY_LOGGED_IN)
			rv = CKR_OK;
	}
	sc_wipe(pin, sizeof(pin));
	if (rv != CKR_OK) {
		snprintf(err, errlen, "token '%s': cannot log in with the PIN in %s: %s", label,
			 pin_file, srv_p11_rv_name(rv, rvb));
		goto fail;
	}
	return 0;
fail:
	srv_p11_close(p);
	return -1;
}

void srv_p11_close(struct srv_p11 *p)
{
	if (p->f) {
		for (size_t i = 0; i < p->pooled; i++)
			p->f->C_CloseSession(p->pool[i]);
		if (p->login != CK_INVALID_HANDLE) {
			p->f->C_Logout(p->login);
			p->f->C_CloseSession(p->login);
		}
		if (p->finalize)
			p->f->C_Finalize(NULL);
	}
	if (p->dl)
		dlclose(p->dl);
	pthread_mutex_destroy(&p->mu);
	memset(p, 0, sizeof(*p));
}

CK_SESSION_HANDLE srv_p11_session(struct srv_p11 *p)
{
	CK_SESSION_HANDLE h = CK_INVALID_HANDLE;

	pthread_mutex_lock(&p->mu);
	if (p->pooled > 0)
		h = p->pool[--p->pooled];
	pthread_mutex_unlock(&p->mu);
	if (h == CK_INVALID_HANDLE &&
	    p->f->C_OpenSession(p->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &h) !=
		    CKR_OK)
		h = CK_INVALID_HANDLE;
	return h;
}

void srv_p11_release(struct srv_p11 *p, CK_SESSION_HANDLE h)
{
	if (h == CK_INVALID_HANDLE)
		return;
	pthread_mutex_lock(&p->mu);
	if (p->pooled < SRV_P11_POOL) {
		p->pool[p->pooled++] = h;
		h = CK_INVALID_HANDLE;
	}
	pthread_mutex_unlock(&p->mu);
	if (h != CK_INVALID_HANDLE)
		p->f->C_CloseSession(h);
}

int srv_p11_find(struct srv_p11 *p, CK_SESSION_HANDLE h, CK_OBJECT_CLASS cls,
		 const char *label, const uint8_t *id, size_t id_len, CK_OBJECT_HANDLE *out)
{
	CK_ATTRIBUTE t[3];
	CK_OBJECT_HANDLE found[2];
	CK_ULONG n = 0, nt = 0;
	CK_RV rv;

	t[nt++] = (CK_ATTRIBUTE){CKA_CLASS, &cls, sizeof(cls)};
	if (label)
		t[nt++] = (CK_ATTRIBUTE){CKA_LABEL, (void *)label, strlen(label)};
	if (id)
		t[nt++] = (CK_ATTRIBUTE){CKA_ID, (void *)id, id_len};
	rv = p->f->C_FindObjectsInit(h, t, nt);
	if (rv != CKR_OK)
		return -1;
	rv = p->f->C_FindObjects(h, found, 2, &n);
	p->f->C_FindObjectsFinal(h);
	if (rv != CKR_OK || n > 1)
		return -1; /* two keys of one name: which to trust is not ours to guess */
	if (n == 0)
		return 0;
	*out = found[0];
	return 1;
}
