/* Deadline-bound frame reading and writing (hostlib/frameio.h). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "hostlib_test.h"
#include "common/frame.h"
#include "hostlib/frameio.h"

static void pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
}

static void round_trip(void **state)
{
	static const uint8_t apdu[] = {0x00, 0xA4, 0x04, 0x00, 0x02, 0xF0, 0x53};
	uint8_t got[64];
	size_t len;
	int sv[2];

	(void)state;
	pair(sv);
	assert_int_equal(fio_write_frame(sv[0], apdu, sizeof apdu, 1000), 0);
	assert_int_equal(fio_read_frame(sv[1], got, sizeof got, &len, 1000, 0), 0);
	assert_int_equal(len, sizeof apdu);
	assert_memory_equal(got, apdu, sizeof apdu);
	close(sv[0]);
	close(sv[1]);
}

/* Nothing comes: the reader gives up at its deadline, not before. */
static void times_out(void **state)
{
	uint8_t got[8];
	size_t len;
	int sv[2];
	int64_t t0;

	(void)state;
	pair(sv);
	t0 = fio_now_ms();
	assert_int_equal(fio_read_frame(sv[1], got, sizeof got, &len, 100, 0), FIO_ERR_TIMEOUT);
	assert_true(fio_now_ms() - t0 >= 100);
	/* Half a frame is no frame either. */
	assert_int_equal(write(sv[0], "\x00\x03\x01", 3), 3);
	assert_int_equal(fio_read_frame(sv[1], got, sizeof got, &len, 100, 0), FIO_ERR_TIMEOUT);
	close(sv[0]);
	close(sv[1]);
}

/* A frame split in three writes, the header itself split, arrives whole;
 * the next frame, sent in the same write as the end of the first, is left
 * for the next read. */
static void split_frame(void **state)
{
	uint8_t got[8];
	size_t len;
	int sv[2];

	(void)state;
	pair(sv);
	assert_int_equal(write(sv[0], "\x00", 1), 1);
	assert_int_equal(write(sv[0], "\x03\x01\x02", 3), 3);
	assert_int_equal(write(sv[0], "\x03\x00\x01\x09", 4), 4);
	assert_int_equal(fio_read_frame(sv[1], got, sizeof got, &len, 1000, 0), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(got, "\x01\x02\x03", 3);
	assert_int_equal(fio_read_frame(sv[1], got, sizeof got, &len, 1000, 0), 0);
	assert_int_equal(len, 1);
	assert_int_equal(got[0], 0x09);
	close(sv[0]);
	close(sv[1]);
}

static void oversize_and_empty_refused(void **state)
{
	uint8_t got[4];
	size_t len = 99;
	int sv[2];

	(void)state;
	pair(sv);
	assert_int_equal(write(sv[0], "\x00\x05" "abcde", 7), 7);
	assert_int_equal(fio_read_frame(sv[1], got, sizeof got, &len, 1000, 0), FIO_ERR_FRAME_SIZE);
	assert_int_equal(len, 0);
	close(sv[1]);
	close(sv[0]);
	pair(sv);
	assert_int_equal(write(sv[0], "\x00\x00", 2), 2);
	assert_int_equal(fio_read_frame(sv[1], got, sizeof got, &len, 1000, 0), FIO_ERR_FRAME_EMPTY);
	assert_int_equal(fio_write_frame(sv[0], got, 0, 1000), FIO_ERR_FRAME_EMPTY);
	assert_int_equal(fio_write_frame(sv[0], got, SC_FRAME_MAX_BODY + 1, 1000),
			 FIO_ERR_FRAME_SIZE);
	close(sv[0]);
	close(sv[1]);
}

static void closed_and_trailing(void **state)
{
	uint8_t got[8];
	size_t len;
	int sv[2];

	(void)state;
	pair(sv);
	assert_int_equal(write(sv[0], "\x00\x01\x07\x00\x01\x08", 6), 6);
	assert_int_equal(fio_read_frame(sv[1], got, sizeof got, &len, 1000, FIO_ALONE),
			 FIO_ERR_TRAILING);
	assert_int_equal(fio_read_frame(sv[1], got, sizeof got, &len, 1000, FIO_ALONE), 0);
	assert_int_equal(got[0], 0x08);
	close(sv[0]);
	assert_int_equal(fio_read_frame(sv[1], got, sizeof got, &len, 1000, 0), FIO_ERR_CLOSED);
	close(sv[1]);
}

/* A peer that stops reading: the writer gives up at its deadline. */
static void write_times_out(void **state)
{
	static uint8_t big[SC_FRAME_MAX_BODY];
	int sv[2], i, rc = 0;

	(void)state;
	pair(sv);
	for (i = 0; i < 64 && rc == 0; i++)
		rc = fio_write_frame(sv[0], big, sizeof big, 50);
	assert_int_equal(rc, FIO_ERR_TIMEOUT);
	close(sv[0]);
	close(sv[1]);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(times_out),
		cmocka_unit_test(split_frame),
		cmocka_unit_test(oversize_and_empty_refused),
		cmocka_unit_test(closed_and_trailing),
		cmocka_unit_test(write_times_out),
	};
	return RUN_TESTS("hostlib_frameio", tests, argc, argv);
}
