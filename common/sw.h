/* ISO 7816-4 status words, named as the standard names them. */
#ifndef SC_SW_H
#define SC_SW_H

#include <stdint.h>

#define SW_NO_ERROR                      0x9000u
#define SW_BYTES_REMAINING_00            0x6100u /* 61xx: xx more bytes via GET RESPONSE */
#define SW_WARNING_STATE_UNCHANGED       0x6200u
#define SW_COUNTER_WARNING               0x63C0u /* 63Cx: x tries left */
#define SW_WRONG_LENGTH                  0x6700u
#define SW_LOGICAL_CHANNEL_NOT_SUPPORTED 0x6881u
#define SW_SECURE_MESSAGING_NOT_SUPPORTED 0x6882u
#define SW_LAST_COMMAND_EXPECTED         0x6883u
#define SW_COMMAND_CHAINING_NOT_SUPPORTED 0x6884u
#define SW_SECURITY_STATUS_NOT_SATISFIED 0x6982u
#define SW_FILE_INVALID                  0x6983u /* also: authentication method blocked */
#define SW_DATA_INVALID                  0x6984u /* also: reference data not usable (invalidated) */
#define SW_CONDITIONS_NOT_SATISFIED      0x6985u
#define SW_COMMAND_NOT_ALLOWED           0x6986u
#define SW_SM_DATA_INCORRECT             0x6988u /* a wrapped key fails its integrity check */
#define SW_WRONG_DATA                    0x6A80u
#define SW_FUNC_NOT_SUPPORTED            0x6A81u
#define SW_FILE_NOT_FOUND                0x6A82u
#define SW_RECORD_NOT_FOUND              0x6A83u
#define SW_FILE_FULL                     0x6A84u
#define SW_INCORRECT_P1P2                0x6A86u
#define SW_REFERENCED_DATA_NOT_FOUND     0x6A88u
#define SW_WRONG_P1P2                    0x6B00u
#define SW_CORRECT_LENGTH_00             0x6C00u /* 6Cxx: right Le is xx */
#define SW_INS_NOT_SUPPORTED             0x6D00u
#define SW_CLA_NOT_SUPPORTED             0x6E00u
#define SW_UNKNOWN                       0x6F00u
#define SW_MEMORY_FAILURE                0x6581u

/* The ISO name of sw ("SW_WRONG_LENGTH", "SW_BYTES_REMAINING" for 61xx,
 * "SW_COUNTER_WARNING" for 63Cx, ...) or "SW_UNKNOWN_STATUS"; never NULL. */
const char *sc_sw_name(uint16_t sw);

#endif
