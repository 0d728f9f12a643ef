/* The issuer's commands on an issued card, each proven by an HMAC under
 * K_card over a fresh card challenge (so only the issuer, who derives
 * K_card from its master key, can make them, and a recorded one cannot be
 * replayed): RESET RETRY COUNTER unblocks the PIN, BLOCK CARD ends the
 * card's life for good. */
#include "common/applet.h"
#include "core.h"

/* Checks the issuer's MAC for label; 0 or the refusing SW. */
static uint16_t issuer_gate(const struct core_cmd *cmd, const char *label)
{
	const struct core_persist *p = store_committed(cmd->core);

	if (cmd->p1 != 0 || cmd->p2 != 0)
		return SW_INCORRECT_P1P2;
	if (p->lifecycle != CORE_LC_ISSUED)
		return SW_CONDITIONS_NOT_SATISFIED;
	return core_check_mac(cmd->core, cmd->session, p->kcard, sizeof p->kcard, label, true,
			      cmd->data, cmd->lc);
}

uint16_t admin_reset_retry(const struct core_cmd *cmd, struct sc_writer *out)
{
	struct core_persist *w;
	uint16_t sw;

	(void)out;
	sw = issuer_gate(cmd, SC_LABEL_UNBLOCK);
	if (sw != SW_NO_ERROR)
		return sw;
	w = store_begin(cmd->core);
	w->pin_tries = CORE_PIN_TRIES;
	return core_commit(cmd->core) == 0 ? SW_NO_ERROR : SW_MEMORY_FAILURE;
}

uint16_t admin_block(const struct core_cmd *cmd, struct sc_writer *out)
{
	struct core_persist *w;
	uint16_t sw;

	(void)out;
	sw = issuer_gate(cmd, SC_LABEL_BLOCK);
	if (sw != SW_NO_ERROR)
		return sw;
	confirm_void(cmd->core);
	w = store_begin(cmd->core);
	w->lifecycle = CORE_LC_BLOCKED;
	return core_commit(cmd->core) == 0 ? SW_NO_ERROR : SW_MEMORY_FAILURE;
}
