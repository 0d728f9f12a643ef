/* The automation control socket: JSON lines in, one JSON line out per
 * request (docs/control-socket.md). Tests and demos press keys, read the
 * screen as data, wait for a screen, inject power cuts and resets. A client
 * that sends garbage gets an error and is dropped; the others go on. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "card/hal.h"
#include "host.h"

#define CTL_CLIENTS 8
#define CTL_LINE_MAX 4096
#define CTL_WAIT_MAX_MS 600000
#define CTL_WRITE_TIMEOUT_MS 2000

struct ctl_client {
	int fd;                     /* -1: free */
	char in[CTL_LINE_MAX];      /* bytes received, not yet a whole line */
	size_t len;
	int wait_id;                /* -1, or the screen id awaited */
	uint32_t wait_deadline;     /* tick at which the wait fails */
	json_t *wait_req_id;        /* the request's "id", echoed in the reply */
	int wait_hit;               /* the awaited screen was shown ... */
	struct card_screen hit;     /* ... as this, even if gone since */
};

static struct ctl_client ctl_clients[CTL_CLIENTS];
static int ctl_listen_fd = -1;
static const char *ctl_path;

static json_t *ctl_error(const char *msg)
{
	return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

static json_t *ctl_ok_screen(void)
{
	return json_pack("{s:b, s:o}", "ok", 1, "screen", display_screen_json(display_current()));
}

static json_t *ctl_press(json_t *req)
{
	json_t *keys = json_object_get(req, "keys");
	int list[64];
	size_t n = 0, i;
	if (json_is_string(keys)) {
		const char *s = json_string_value(keys);
		for (i = 0; s[i] != '\0'; i++) {
			char one[2] = {s[i], '\0'};
			if (n == sizeof list / sizeof list[0])
				return ctl_error("too many keys (at most 64)");
			if ((list[n++] = keypad_key_for_name(one)) == 0)
				return ctl_error("unknown key (use 0-9, K = OK, C = Cancel, B = Backspace)");
		}
	} else if (json_is_array(keys)) {
		json_t *k;
		json_array_foreach(keys, i, k) {
			if (!json_is_string(k))
				return ctl_error("keys: a list of key names");
			if (n == sizeof list / sizeof list[0])
				return ctl_error("too many keys (at most 64)");
			if ((list[n++] = keypad_key_for_name(json_string_value(k))) == 0)
				return ctl_error("unknown key name");
		}
	} else {
		return ctl_error("press needs \"keys\": a string or a list");
	}
	/* Validated as a whole first: a bad request presses nothing. */
	for (i = 0; i < n; i++)
		keypad_press(list[i]);
	return ctl_ok_screen();
}

static json_t *ctl_power_cut(json_t *req)
{
	json_t *at = json_object_get(req, "at_write");
	if (json_is_true(json_object_get(req, "cancel"))) {
		flashfile_cut_cancel();
		return json_pack("{s:b}", "ok", 1);
	}
	if (at != NULL && (!json_is_integer(at) || json_integer_value(at) < 0))
		return ctl_error("at_write: a write count, 0 = now");
	if (at != NULL && json_integer_value(at) > 0) {
		flashfile_cut_at((unsigned long)json_integer_value(at));
		return json_pack("{s:b, s:I, s:I}", "ok", 1, "armed", json_integer_value(at),
				 "flash_writes", (json_int_t)flashfile_writes());
	}
	flashfile_cut_at(0);
	power_check();
	return json_pack("{s:b, s:I}", "ok", 1, "boots", (json_int_t)power_boots());
}

static json_t *ctl_field(json_t *req)
{
	const char *iface = json_string_value(json_object_get(req, "iface"));
	json_t *on = json_object_get(req, "on");
	enum card_iface i;
	if (iface != NULL && strcmp(iface, "contact") == 0)
		i = CARD_IFACE_CONTACT;
	else if (iface != NULL && strcmp(iface, "contactless") == 0)
		i = CARD_IFACE_CONTACTLESS;
	else
		return ctl_error("iface: \"contact\" or \"contactless\"");
	if (!json_is_boolean(on))
		return ctl_error("on: true or false");
	card_field(host_card(), i, json_is_true(on));
	power_check();
	return ctl_ok_screen();
}

static json_t *ctl_status(void)
{
	return json_pack("{s:b, s:I, s:I, s:I, s:b, s:b, s:s}", "ok", 1, "boots",
			 (json_int_t)power_boots(), "flash_writes", (json_int_t)flashfile_writes(),
			 "cut_pending", (json_int_t)flashfile_cut_pending(), "contact",
			 slot_busy(CARD_IFACE_CONTACT), "contactless",
			 slot_busy(CARD_IFACE_CONTACTLESS), "screen",
			 display_screen_name(display_current()->id));
}

/* One request. *status: 1 reply now, 0 wait (reply NULL), -1 reply then drop. */
static json_t *ctl_request(json_t *req, int *status, int *wait_id, int *wait_ms)
{
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	*status = 1;
	if (cmd == NULL)
		return ctl_error("no \"cmd\"");
	if (strcmp(cmd, "screen") == 0)
		return ctl_ok_screen();
	if (strcmp(cmd, "press") == 0)
		return ctl_press(req);
	if (strcmp(cmd, "wait") == 0) {
		const char *name = json_string_value(json_object_get(req, "screen"));
		json_t *t = json_object_get(req, "timeout_ms");
		int id = name != NULL ? display_screen_id(name) : -1;
		if (id < 0)
			return ctl_error("wait: unknown screen name");
		if (t != NULL && (!json_is_integer(t) || json_integer_value(t) < 0 ||
				  json_integer_value(t) > CTL_WAIT_MAX_MS))
			return ctl_error("wait: timeout_ms from 0 to 600000");
		if (display_current()->id == id)
			return ctl_ok_screen();
		*wait_id = id;
		*wait_ms = t != NULL ? (int)json_integer_value(t) : 5000;
		*status = 0;
		return NULL;
	}
	if (strcmp(cmd, "power_cut") == 0)
		return ctl_power_cut(req);
	if (strcmp(cmd, "reset") == 0) {
		power_cycle("reset");
		return json_pack("{s:b, s:I}", "ok", 1, "boots", (json_int_t)power_boots());
	}
	if (strcmp(cmd, "field") == 0)
		return ctl_field(req);
	if (strcmp(cmd, "status") == 0)
		return ctl_status();
	return ctl_error("unknown cmd");
}

/* Parses a line; the reply (if any) goes to *reply, with the request's id
 * in *req_id (a new reference, or NULL). */
static int ctl_line(const char *line, json_t **reply, json_t **req_id, int *wait_id, int *wait_ms)
{
	json_error_t jerr;
	json_t *req = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
	int status;
	*req_id = NULL;
	if (!json_is_object(req)) {
		json_decref(req);
		*reply = ctl_error("not a JSON object");
		return -1;
	}
	*req_id = json_incref(json_object_get(req, "id"));
	*reply = ctl_request(req, &status, wait_id, wait_ms);
	json_decref(req);
	return status;
}

static int ctl_render(json_t *reply, json_t *req_id, char *out, size_t cap)
{
	char *s;
	int rc = -1;
	if (reply == NULL)
		reply = ctl_error("out of memory");
	if (req_id != NULL)
		json_object_set(reply, "id", req_id);
	s = json_dumps(reply, JSON_COMPACT);
	if (s != NULL && strlen(s) + 2 <= cap) {
		memcpy(out, s, strlen(s));
		memcpy(out + strlen(s), "\n", 2);
		rc = 0;
	}
	free(s);
	json_decref(reply);
	return rc;
}

int control_handle_line(const char *line, char *out, size_t cap, int *wait_id, int *wait_ms)
{
	json_t *reply = NULL, *req_id = NULL;
	int status = ctl_line(line, &reply, &req_id, wait_id, wait_ms);
	out[0] = '\0';
	if (status != 0 && ctl_render(reply, req_id, out, cap) != 0)
		status = -1;
	json_decref(req_id);
	return status;
}

static void ctl_drop(struct ctl_client *c, const char *why)
{
	if (c->fd < 0)
		return;
	log_debug("control: client dropped: %s", why);
	evloop_del(c->fd);
	close(c->fd);
	c->fd = -1;
	json_decref(c->wait_req_id);
	c->wait_req_id = NULL;
	c->wait_id = -1;
}

static int ctl_send(struct ctl_client *c, json_t *reply, json_t *req_id)
{
	char out[16384];
	if (ctl_render(reply, req_id, out, sizeof out) != 0 ||
	    fio_write_all(c->fd, out, strlen(out), CTL_WRITE_TIMEOUT_MS) != 0) {
		ctl_drop(c, "cannot write the reply");
		return -1;
	}
	return 0;
}

/* Serves whole lines from c->in while c is not waiting. */
static void ctl_serve_lines(struct ctl_client *c)
{
	char *nl;
	while (c->fd >= 0 && c->wait_id < 0 && (nl = memchr(c->in, '\n', c->len)) != NULL) {
		json_t *reply, *req_id;
		int wait_id = -1, wait_ms = 0, status;
		size_t used = (size_t)(nl - c->in) + 1;
		*nl = '\0';
		status = ctl_line(c->in, &reply, &req_id, &wait_id, &wait_ms);
		memmove(c->in, c->in + used, c->len - used);
		c->len -= used;
		if (status == 0) {
			c->wait_hit = 0;
			c->wait_id = wait_id;
			c->wait_deadline = host_tick_ms() + (uint32_t)wait_ms;
			c->wait_req_id = req_id;
			continue;
		}
		if (ctl_send(c, reply, req_id) == 0 && status < 0)
			ctl_drop(c, "bad request");
		json_decref(req_id);
	}
}

static void ctl_on_client(int fd, short revents, void *arg)
{
	struct ctl_client *c = arg;
	ssize_t n;
	(void)fd;
	if ((revents & POLLIN) == 0) {
		ctl_drop(c, "hung up");
		return;
	}
	n = read(c->fd, c->in + c->len, sizeof c->in - c->len);
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			ctl_drop(c, "closed");
		return;
	}
	c->len += (size_t)n;
	ctl_serve_lines(c);
	if (c->fd >= 0 && c->len == sizeof c->in) {
		ctl_send(c, ctl_error("line too long"), NULL);
		ctl_drop(c, "line too long");
	}
}

static void ctl_on_accept(int fd, short revents, void *arg)
{
	int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	unsigned i;
	(void)revents;
	(void)arg;
	if (c < 0)
		return;
	for (i = 0; i < CTL_CLIENTS; i++)
		if (ctl_clients[i].fd < 0)
			break;
	if (i == CTL_CLIENTS || evloop_add(c, POLLIN, ctl_on_client, &ctl_clients[i]) != 0) {
		log_warnx("control: too many clients: refusing one");
		close(c);
		return;
	}
	ctl_clients[i].fd = c;
	ctl_clients[i].len = 0;
	ctl_clients[i].wait_id = -1;
	ctl_clients[i].wait_req_id = NULL;
}

int control_open(const char *path, const char **why)
{
	unsigned i;
	int fd;
	for (i = 0; i < CTL_CLIENTS; i++) {
		ctl_clients[i].fd = -1;
		ctl_clients[i].wait_id = -1;
	}
	fd = sock_unix_listen(path, 0600, 4);
	if (fd < 0) {
		*why = sock_strerror(fd);
		return -1;
	}
	if (evloop_add(fd, POLLIN, ctl_on_accept, NULL) != 0) {
		close(fd);
		*why = "too many descriptors";
		return -1;
	}
	ctl_listen_fd = fd;
	ctl_path = path;
	return 0;
}

void control_close(void)
{
	unsigned i;
	if (ctl_listen_fd < 0)
		return;   /* never opened: the client table was never set up */
	for (i = 0; i < CTL_CLIENTS; i++)
		ctl_drop(&ctl_clients[i], "stopping");
	if (ctl_listen_fd >= 0) {
		evloop_del(ctl_listen_fd);
		close(ctl_listen_fd);
		unlink(ctl_path);
		ctl_listen_fd = -1;
	}
}

int control_tick(void)
{
	unsigned i;
	int next = -1;
	uint32_t now = host_tick_ms();
	if (ctl_listen_fd < 0)
		return -1;
	for (i = 0; i < CTL_CLIENTS; i++) {
		struct ctl_client *c = &ctl_clients[i];
		json_t *req_id;
		int32_t left;
		if (c->fd < 0 || c->wait_id < 0)
			continue;
		left = (int32_t)(c->wait_deadline - now);
		if (!c->wait_hit && display_current()->id == c->wait_id) {
			c->wait_hit = 1;
			c->hit = *display_current();
		}
		if (!c->wait_hit && left > 0) {
			if (next < 0 || left < next)
				next = (int)left;
			continue;
		}
		req_id = c->wait_req_id;
		c->wait_req_id = NULL;
		if (c->wait_hit) {
			c->wait_id = -1;
			c->wait_hit = 0;
			ctl_send(c, json_pack("{s:b, s:o}", "ok", 1, "screen", display_screen_json(&c->hit)),
				 req_id);
		} else {
			c->wait_id = -1;
			ctl_send(c, json_pack("{s:b, s:s, s:o}", "ok", 0, "error", "timeout",
					      "screen", display_screen_json(display_current())),
				 req_id);
		}
		json_decref(req_id);
		ctl_serve_lines(c);
	}
	return next;
}

void control_on_screen(const struct card_screen *s)
{
	unsigned i;
	if (ctl_listen_fd < 0)
		return;
	for (i = 0; i < CTL_CLIENTS; i++) {
		struct ctl_client *c = &ctl_clients[i];
		if (c->fd >= 0 && c->wait_id >= 0 && !c->wait_hit && c->wait_id == s->id) {
			c->wait_hit = 1;
			c->hit = *s;
		}
	}
}
