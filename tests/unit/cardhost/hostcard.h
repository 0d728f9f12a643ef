/* A card core on a flash file for the cardhost tests (hostcard.c). */
#ifndef SC_TESTS_HOSTCARD_H
#define SC_TESTS_HOSTCARD_H

/* Makes a new card (test transport key) in a temporary folder and boots
 * it; 0 or -1. */
int hostcard_new(void);
/* Closes the flash and removes the folder. */
void hostcard_free(void);

#endif
