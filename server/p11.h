/* A PKCS#11 token for the issuer's keys: the module loaded with dlopen and
 * C_GetFunctionList, the token found by its label, one login, and a pool
 * of sessions the verify threads and the writer take and give back (a
 * session serves one thread at a time; the login is the application's,
 * shared by them all). Only server/keys_pkcs11.c uses this. */
#ifndef SC_SERVER_P11_H
#define SC_SERVER_P11_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <p11-kit/pkcs11.h>

#define SRV_P11_POOL 64 /* sessions kept open for reuse */
/* The objects' labels in the token (the receipt keys are also named by
 * their key id, CKA_ID). */
#define SRV_P11_MASTER_LABEL "sigcard master key"
#define SRV_P11_RECEIPT_LABEL "sigcard receipt key"

struct srv_p11 {
	void *dl;
	CK_FUNCTION_LIST *f;
	int finalize;                    /* this process's C_Initialize was ours */
	CK_SLOT_ID slot;
	char label[33];                  /* the token's, for messages */
	CK_SESSION_HANDLE login;         /* holds the login while the token is open */
	pthread_mutex_t mu;
	CK_SESSION_HANDLE pool[SRV_P11_POOL];
	size_t pooled;
};

/* Loads module, finds the token labelled label and logs in as the user
 * with the PIN in pin_file (0600, one line). 0, or -1 with err naming the
 * module, the token and the PKCS#11 error (CKR_PIN_INCORRECT for a wrong
 * PIN); *p is then closed already. */
int srv_p11_open(struct srv_p11 *p, const char *module, const char *label,
		 const char *pin_file, char *err, size_t errlen);
void srv_p11_close(struct srv_p11 *p);
/* A read-write session of the logged-in token: from the pool or new.
 * CK_INVALID_HANDLE if none could be opened. */
CK_SESSION_HANDLE srv_p11_session(struct srv_p11 *p);
/* Gives a session back to the pool (or closes it when the pool is full). */
void srv_p11_release(struct srv_p11 *p, CK_SESSION_HANDLE h);
/* The one object of class cls whose CKA_LABEL is label (NULL: any) and
 * CKA_ID is id (NULL: any). 1 found (*out), 0 none, -1 an error. */
int srv_p11_find(struct srv_p11 *p, CK_SESSION_HANDLE h, CK_OBJECT_CLASS cls,
		 const char *label, const uint8_t *id, size_t id_len, CK_OBJECT_HANDLE *out);
/* "CKR_PIN_INCORRECT" and the like, or "CKR_0x..." for others. */
const char *srv_p11_rv_name(CK_RV rv, char buf[24]);

#endif
