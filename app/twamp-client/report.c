/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reports: a ping-like human summary, optional per-packet lines, and one JSON object that the
 * e2e tests parse; in control mode the same per session and for all sessions together, after a
 * section on the control connection. Field definitions are in docs/client.rst; keep the two in
 * step.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "pace.h"
#include "tw_ts.h"
#include "tw_wire.h"

#define NSEC_PER_SEC UINT64_C(1000000000)

/* ---- human ---------------------------------------------------------------------------- */

/* One unit per line so the columns compare: us below 10 ms, ms above. */
static const char *
pick_unit(int64_t largest, double *div)
{
	if (largest < 0)
		largest = -largest;
	if (largest < 10000000) {
		*div = 1e3;
		return "us";
	}
	*div = 1e6;
	return "ms";
}

static void
print_stat(FILE *f, const char *label, const struct tw_measure_stat *st, bool p99)
{
	double div;
	const char *unit = pick_unit(st->max > -st->min ? st->max : st->min, &div);

	if (p99)
		fprintf(f, "%s min/median/p99/max/mean = %.3f/%.3f/%.3f/%.3f/%.3f %s\n", label,
			st->min / div, st->median / div, st->p99 / div, st->max / div,
			st->mean / div, unit);
	else
		fprintf(f, "%s min/median/max = %.3f/%.3f/%.3f %s\n", label, st->min / div,
			st->median / div, st->max / div, unit);
}

static void
print_ipdv(FILE *f, const char *label, const struct tw_measure_ipdv *d)
{
	double div;
	const char *unit = pick_unit((int64_t)d->max_abs, &div);

	fprintf(f, "%s mean/max |ipdv| = %.3f/%.3f %s (%" PRIu64 " pairs)\n", label,
		d->mean_abs / div, d->max_abs / div, unit, d->n);
}

static void
print_ts(FILE *f, uint64_t ns)
{
	fprintf(f, "%" PRIu64 ".%09" PRIu64, ns / NSEC_PER_SEC, ns % NSEC_PER_SEC);
}

void
report_per_packet(FILE *f, const struct tw_measure *m)
{

	for (uint32_t i = 0; i < m->capacity; i++) {
		const struct tw_measure_rec *rec = &m->rec[i];

		if (!(rec->flags & TW_MEASURE_F_SENT))
			continue;
		fprintf(f, "seq=%u t1=", i);
		print_ts(f, rec->t1);
		if (!(rec->flags & TW_MEASURE_F_RECEIVED)) {
			fprintf(f, " lost\n");
			continue;
		}
		fprintf(f, " t2=");
		print_ts(f, rec->t2);
		fprintf(f, " t3=");
		print_ts(f, rec->t3);
		fprintf(f, " t4=");
		print_ts(f, rec->t4);
		fprintf(f, " rtt=%.3f us turnaround=%.3f us sender_ttl=%u",
			tw_measure_rec_rtt(rec) / 1e3, tw_measure_rec_turnaround(rec) / 1e3,
			rec->sender_ttl);
		if (rec->flags & TW_MEASURE_F_REPLY_TTL)
			fprintf(f, " reply_ttl=%u", rec->reply_ttl);
		if (rec->dups)
			fprintf(f, " dups=%u", rec->dups);
		fprintf(f, "\n");
	}
}

/* The format the reflector's T2/T3 came in (RFC 8186 §2.3 Z bit): "ntp", "ptp", "mixed" when
 * both were seen, NULL when nothing came back. */
static const char *
refl_format(const struct sender_result *res)
{
	if (res->refl_ntp > 0 && res->refl_ptp > 0)
		return "mixed";
	if (res->refl_ptp > 0)
		return "ptp";
	if (res->refl_ntp > 0)
		return "ntp";
	return NULL;
}

/* One line: our T1's format, the reflector's, and what --check expected of it. */
static void
human_formats(FILE *f, const struct client_opts *o, const struct sender_result *res)
{
	const char *rf = refl_format(res);

	fprintf(f, "timestamps: ours (T1) %s, reflector's (T2/T3) %s", res->ptp ? "ptp" : "ntp",
		rf != NULL ? rf : "none received");
	if (rf != NULL && strcmp(rf, "mixed") == 0)
		fprintf(f, " (%" PRIu64 " ntp, %" PRIu64 " ptp)", res->refl_ntp, res->refl_ptp);
	if (o->tp.check)
		fprintf(f, ", expected %s", ts_format_name(res->expect));
	/* PTPv2 counts TAI: say which TAI - UTC we assumed, since both ends must agree. */
	if (res->ptp || res->refl_ptp > 0)
		fprintf(f, "; PTPv2 = UTC + %u s (kernel TAI offset)", res->tai_s);
	fprintf(f, "\n");
}

/* The asked rate in pps, 0 for "max" or an interval given with -i. */
static double
asked_pps(const struct client_opts *o)
{
	if (o->tp.pps_milli > 0)
		return (double)o->tp.pps_milli / 1e3;
	return o->tp.rate_max || o->tp.interval_ns == 0 ? 0 : 1e9 / (double)o->tp.interval_ns;
}

/* Achieved send rate and the loss to 4 decimals: what a rate test reads (0.01 % is 1 in 10^4). */
static void
human_rate(FILE *f, const struct client_opts *o, const struct sender_result *res,
	   const struct tw_measure_summary *s)
{
	fprintf(f, "send rate %.0f pps (asked ", pace_rate(s->sent, res->send_ns));
	if (o->tp.rate_max)
		fprintf(f, "max");
	else
		fprintf(f, "%.0f", asked_pps(o));
	/* -r applies to each session: a total of several sessions sends n times that. */
	if (o->control && o->nb_sessions > 1)
		fprintf(f, " per session");
	fprintf(f, ", batch %u), lost %" PRIu64 " (%.4f%%)", o->tp.batch, s->lost, s->loss_pct);
	if (res->send_blocked)
		fprintf(f, ", socket full %" PRIu64 " times", res->send_blocked);
	fprintf(f, "\n");
}

/* Everything after the title line, for one session or a total. */
static void
human_body(FILE *f, const struct client_opts *o, const struct sender_result *res,
	   const struct tw_measure_summary *s)
{
	fprintf(f, "%" PRIu64 " packets transmitted, %" PRIu64 " received, %.1f%% packet loss, "
		"time %" PRIu64 " ms%s\n", s->sent, s->received, s->loss_pct,
		res->elapsed_ns / 1000000, res->interrupted ? " (interrupted)" : "");
	human_rate(f, o, res, s);
	fprintf(f, "%" PRIu64 " duplicates, %" PRIu64 " reordered, %" PRIu64 " foreign\n",
		s->duplicates, s->reordered, s->foreign);
	if (s->rtt.n > 0) {
		print_stat(f, "rtt", &s->rtt, true);
		print_ipdv(f, "rtt", &s->ipdv);
		print_stat(f, "turnaround", &s->turnaround, false);
		if (s->one_way) {
			print_stat(f, "forward", &s->forward, false);
			print_stat(f, "backward", &s->backward, false);
		} else {
			fprintf(f, "one-way: n/a (Error Estimates not both synchronised: "
				"sender 0x%04x, reflector 0x%04x)\n", res->sender_errest,
				s->refl_errest);
		}
		fprintf(f, "ttl: sender (seen by reflector) %u..%u", s->sender_ttl_min,
			s->sender_ttl_max);
		if (s->have_reply_ttl)
			fprintf(f, ", reply %u..%u", s->reply_ttl_min, s->reply_ttl_max);
		fprintf(f, "; reflector seq gaps %" PRIu64 "; reflector err est 0x%04x (%s)\n",
			s->refl_seq_gaps, s->refl_errest,
			tw_ts_errest_synced(s->refl_errest) ? "synced" : "unsynced");
	}
	human_formats(f, o, res);
	if (res->bad_hmac)
		fprintf(f, "warning: %" PRIu64 " answers failed HMAC verification (not counted as "
			"received)\n", res->bad_hmac);
	if (res->socket_drops)
		fprintf(f, "warning: %" PRIu64 " datagrams dropped by the kernel (socket full)\n",
			res->socket_drops);
	if (res->send_errors)
		fprintf(f, "warning: %" PRIu64 " send errors\n", res->send_errors);
	if (res->no_kernel_ts)
		fprintf(f, "warning: %" PRIu64 " replies without a kernel timestamp\n",
			res->no_kernel_ts);
	if (o->tp.check) {
		const struct check_state *c = &res->check;

		if (c->violations == 0) {
			fprintf(f, "check: ok (%" PRIu64 " reflections)\n", c->checked);
		} else {
			fprintf(f, "check: FAILED, %" PRIu64 " violations in %" PRIu64
				" reflections (", c->violations, c->checked);
			for (int k = 0, sep = 0; k < CHECK_KIND_MAX; k++) {
				if (c->kind[k] == 0)
					continue;
				fprintf(f, "%s%s %" PRIu64, sep++ ? ", " : "",
					check_kind_name((enum check_kind)k), c->kind[k]);
			}
			fprintf(f, "); first: %s\n", c->first);
		}
	}
}

void
report_human(FILE *f, const struct report_ctx *r)
{
	fprintf(f, "--- %s TWAMP-Light statistics ---\n", r->o->peer_str);
	human_body(f, r->o, r->res, r->s);
}

/* ---- JSON ------------------------------------------------------------------------------ */

static void
json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void
json_stat(FILE *f, const char *key, const struct tw_measure_stat *st, bool valid)
{
	fprintf(f, "\"%s\":", key);
	if (!valid || st->n == 0) {
		fprintf(f, "null,");
		return;
	}
	fprintf(f, "{\"n\":%" PRIu64 ",\"min\":%" PRId64 ",\"median\":%" PRId64
		",\"p99\":%" PRId64 ",\"max\":%" PRId64 ",\"mean\":%" PRId64 "},",
		st->n, st->min, st->median, st->p99, st->max, st->mean);
}

static void
json_ipdv(FILE *f, const char *key, const struct tw_measure_ipdv *d)
{
	fprintf(f, "\"%s\":", key);
	if (d->n == 0) {
		fprintf(f, "null,");
		return;
	}
	fprintf(f, "{\"pairs\":%" PRIu64 ",\"mean_abs\":%" PRIu64 ",\"max_abs\":%" PRIu64
		",\"min\":%" PRId64 ",\"max\":%" PRId64 "},",
		d->n, d->mean_abs, d->max_abs, d->min, d->max);
}

static void
json_range(FILE *f, const char *key, bool valid, unsigned int lo, unsigned int hi)
{
	if (valid)
		fprintf(f, "\"%s\":{\"min\":%u,\"max\":%u},", key, lo, hi);
	else
		fprintf(f, "\"%s\":null,", key);
}

static void
json_packets(FILE *f, const struct tw_measure *m)
{
	bool first = true;

	fprintf(f, ",\"packets\":[");
	for (uint32_t i = 0; i < m->capacity; i++) {
		const struct tw_measure_rec *rec = &m->rec[i];

		if (!(rec->flags & TW_MEASURE_F_SENT))
			continue;
		fprintf(f, "%s{\"seq\":%u,\"t1_ns\":%" PRIu64, first ? "" : ",", i, rec->t1);
		first = false;
		if (!(rec->flags & TW_MEASURE_F_RECEIVED)) {
			fprintf(f, ",\"lost\":true}");
			continue;
		}
		fprintf(f, ",\"lost\":false,\"t2_ns\":%" PRIu64 ",\"t3_ns\":%" PRIu64
			",\"t4_ns\":%" PRIu64 ",\"rtt_ns\":%" PRId64 ",\"turnaround_ns\":%" PRId64
			",\"reflector_seq\":%u,\"sender_ttl\":%u,\"reply_ttl\":",
			rec->t2, rec->t3, rec->t4, tw_measure_rec_rtt(rec),
			tw_measure_rec_turnaround(rec), rec->refl_seq, rec->sender_ttl);
		if (rec->flags & TW_MEASURE_F_REPLY_TTL)
			fprintf(f, "%u", rec->reply_ttl);
		else
			fprintf(f, "null");
		fprintf(f, ",\"duplicates\":%u}", rec->dups);
	}
	fprintf(f, "]");
}

/* The measurement fields, "sent" through "check", shared by light mode, sessions and totals. */
static void
json_body(FILE *f, const struct client_opts *o, const struct sender_result *res,
	  const struct tw_measure_summary *s)
{
	fprintf(f, "\"sent\":%" PRIu64 ",\"received\":%" PRIu64 ",\"lost\":%" PRIu64
		",\"loss_pct\":%.3f,\"duplicates\":%" PRIu64 ",\"reordered\":%" PRIu64
		",\"foreign\":%" PRIu64 ",\"foreign_short\":%" PRIu64
		",\"foreign_wrong_source\":%" PRIu64 ",\"send_errors\":%" PRIu64
		",\"rx_socket_drops\":%" PRIu64 ",\"no_kernel_timestamp\":%" PRIu64
		",\"interrupted\":%s,\"elapsed_ns\":%" PRIu64 ",",
		s->sent, s->received, s->lost, s->loss_pct, s->duplicates, s->reordered,
		s->foreign, res->short_pkts, res->wrong_src, res->send_errors, res->socket_drops,
		res->no_kernel_ts, res->interrupted ? "true" : "false", res->elapsed_ns);
	/* Rate test fields: asked_pps null for max; send_pps = sent over send_ns. */
	fprintf(f, "\"batch\":%u,\"asked_pps\":", o->tp.batch);
	if (o->tp.rate_max)
		fprintf(f, "null");
	else
		fprintf(f, "%.3f", asked_pps(o));
	fprintf(f, ",\"send_ns\":%" PRIu64 ",\"send_pps\":%.1f,\"send_blocked\":%" PRIu64 ",",
		res->send_ns, pace_rate(s->sent, res->send_ns), res->send_blocked);

	json_stat(f, "rtt_ns", &s->rtt, true);
	json_ipdv(f, "ipdv_ns", &s->ipdv);
	json_ipdv(f, "ipdv_forward_ns", &s->ipdv_fwd);
	json_ipdv(f, "ipdv_backward_ns", &s->ipdv_bwd);
	json_stat(f, "turnaround_ns", &s->turnaround, true);
	json_stat(f, "forward_ns", &s->forward, s->one_way);
	json_stat(f, "backward_ns", &s->backward, s->one_way);
	json_range(f, "sender_ttl", s->have_ttl, s->sender_ttl_min, s->sender_ttl_max);
	json_range(f, "reply_ttl", s->have_reply_ttl, s->reply_ttl_min, s->reply_ttl_max);
	fprintf(f, "\"reflector_seq_gaps\":%" PRIu64 ",\"reflector_seq_skipped\":%" PRIu64
		",\"reflector_seq_out_of_order\":%" PRIu64 ",\"reflector_seq_excess\":%" PRIu64 ",",
		s->refl_seq_gaps, s->refl_seq_skipped, s->refl_seq_ooo, s->refl_seq_excess);
	if (s->have_refl_errest)
		fprintf(f, "\"reflector_err_est\":\"0x%04x\",\"reflector_synced\":%s,",
			s->refl_errest, tw_ts_errest_synced(s->refl_errest) ? "true" : "false");
	else
		fprintf(f, "\"reflector_err_est\":null,\"reflector_synced\":null,");
	fprintf(f, "\"sender_err_est\":\"0x%04x\",\"sender_synced\":%s,", res->sender_errest,
		tw_ts_errest_synced(res->sender_errest) ? "true" : "false");
	/* RFC 8186 §2.3: the formats, by the Z bits sent and received. */
	fprintf(f, "\"sender_timestamp_format\":\"%s\",\"reflector_timestamp_format\":",
		res->ptp ? "ptp" : "ntp");
	if (refl_format(res) != NULL)
		fprintf(f, "\"%s\",", refl_format(res));
	else
		fprintf(f, "null,");
	fprintf(f, "\"reflector_timestamps_ntp\":%" PRIu64 ",\"reflector_timestamps_ptp\":%" PRIu64
		",\"tai_offset_s\":%u,", res->refl_ntp, res->refl_ptp, res->tai_s);

	fprintf(f, "\"check\":");
	if (!o->tp.check) {
		fprintf(f, "null");
	} else {
		const struct check_state *c = &res->check;

		fprintf(f, "{\"ok\":%s,\"checked\":%" PRIu64 ",\"violations\":%" PRIu64
			",\"expected_timestamp_format\":\"%s\",\"first_violation\":",
			c->violations == 0 ? "true" : "false", c->checked, c->violations,
			ts_format_name(res->expect));
		if (c->violations == 0)
			fprintf(f, "null");
		else
			json_str(f, c->first);
		fprintf(f, ",\"kinds\":{");
		for (int k = 0; k < CHECK_KIND_MAX; k++)
			fprintf(f, "%s\"%s\":%" PRIu64, k ? "," : "",
				check_kind_name((enum check_kind)k), c->kind[k]);
		fprintf(f, "}}");
	}
}

static void
json_dscp(FILE *f, int dscp)
{
	if (dscp >= 0)
		fprintf(f, "%d", dscp);
	else
		fprintf(f, "null");
}

void
report_json(FILE *f, const struct report_ctx *r)
{
	const struct client_opts *o = r->o;

	fprintf(f, "{\"reflector\":");
	json_str(f, o->peer_str);
	fprintf(f, ",\"local\":");
	json_str(f, r->local_str);
	fprintf(f, ",\"mode\":\"light\",\"params\":{\"count\":%u,\"interval_ns\":%" PRIu64
		",\"padding\":%u,\"packet_size\":%u,\"dscp\":", o->tp.count, o->tp.interval_ns,
		o->tp.padding, o->tp.padding + TW_WIRE_SENDER_UNAUTH_MIN);
	json_dscp(f, o->dscp);
	fprintf(f, ",\"wait_ns\":%" PRIu64 "},", o->tp.wait_ns);
	json_body(f, o, r->res, r->s);
	if (o->per_packet)
		json_packets(f, r->res->m);
	fprintf(f, "}\n");
}

/* ---- control mode ------------------------------------------------------------------------ */

static const struct {
	uint32_t bit;
	const char *name;
} feature_names[] = {
	{ TW_CTRL_MODE_ISC, "individual-session-control" },
	{ TW_CTRL_MODE_REFLECT_OCTETS, "reflect-octets" },
	{ TW_CTRL_MODE_SYMMETRICAL, "symmetrical-size" },
	{ TW_CTRL_MODE_PTP, "ptpv2-timestamps" },
};

/* "2025-06-01T10:00:00.123456789Z" from an NTP timestamp. */
static void
ntp_iso(uint64_t ntp, char *buf, size_t len)
{
	uint64_t ns = tw_ts_ntp_to_unix_ns(ntp);
	time_t sec = (time_t)(ns / NSEC_PER_SEC);
	struct tm tm;
	size_t n;

	if (gmtime_r(&sec, &tm) == NULL) {
		snprintf(buf, len, "?");
		return;
	}
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%09" PRIu64 "Z", ns % NSEC_PER_SEC);
}

static void
sid_hex(const uint8_t *sid, char *buf)
{
	for (int i = 0; i < TW_CTRL_SID_LEN; i++)
		sprintf(buf + 2 * i, "%02x", sid[i]);
}

/* The test parameters every session shares (all got the same padding and mode). */
static const struct test_params *
session_tp(const struct client_opts *o, const struct control_info *ci)
{
	if (ci->nb_sessions > 0 && ci->sess[0].port != 0)
		return &ci->sess[0].tp;
	return &o->tp;
}

static void
json_accept(FILE *f, int v)
{
	if (v >= 0)
		fprintf(f, "%d", v);
	else
		fprintf(f, "null");
}

/* RFC 7717: the IKEv2 SA named in the Key ID (its SPIs are public: they head every IKE and
 * ESP packet), null without --ike-static. The secret never appears. */
static void
json_ike(FILE *f, const struct control_info *ci)
{
	char hi[17], hr[17];

	if (!ci->ike) {
		fprintf(f, "null");
		return;
	}
	keys_hex(ci->ike_spi_i, ci->ike_spi_len, hi);
	keys_hex(ci->ike_spi_r, ci->ike_spi_len, hr);
	fprintf(f, "{\"provider\":\"%s\",\"prf\":\"%s\",\"layout\":\"%s\",\"spi_i\":\"%s\","
		"\"spi_r\":\"%s\"}", ci->ike_provider, ci->ike_prf ? ci->ike_prf : "",
		ci->ike_layout == TW_CTRL_SPI_4_4 ? "4+4" : "8+8", hi, hr);
}

static void
json_control(FILE *f, const struct client_opts *o, const struct control_info *ci)
{
	char buf[64];
	bool first = true;

	fprintf(f, "\"control\":{\"modes_offered\":");
	if (ci->have_greeting)
		fprintf(f, "%u,\"count\":%u", ci->modes_offered, ci->count);
	else
		fprintf(f, "null,\"count\":null");
	fprintf(f, ",\"mode\":%u,\"features\":[", ci->mode);
	for (size_t i = 0; i < sizeof(feature_names) / sizeof(feature_names[0]); i++) {
		if (ci->mode & feature_names[i].bit) {
			fprintf(f, "%s\"%s\"", first ? "" : ",", feature_names[i].name);
			first = false;
		}
	}
	/* RFC 8186: PTPv2 reflector timestamps (Modes 512) asked for (--ptp), offered, agreed. */
	fprintf(f, "],\"ptp\":{\"requested\":%s,\"offered\":%s,\"negotiated\":%s}",
		o->tp.ptp ? "true" : "false",
		!ci->have_greeting ? "null" :
		(ci->modes_offered & TW_CTRL_MODE_PTP) ? "true" : "false",
		(ci->mode & TW_CTRL_MODE_PTP) ? "true" : "false");
	fprintf(f, ",\"ike\":");
	json_ike(f, ci);
	fprintf(f, ",\"server_start_time\":");
	if (ci->server_start_accept == 0) {
		ntp_iso(ci->server_start_time, buf, sizeof(buf));
		json_str(f, buf);
		fprintf(f, ",\"server_start_time_ntp\":\"0x%016" PRIx64 "\"",
			ci->server_start_time);
	} else {
		fprintf(f, "null,\"server_start_time_ntp\":null");
	}
	fprintf(f, ",\"accept\":{\"server_start\":");
	json_accept(f, ci->server_start_accept);
	fprintf(f, ",\"sessions\":[");
	first = true;
	for (unsigned int i = 0; i < ci->nb_sessions; i++) {
		if (ci->sess[i].accept < 0)
			continue;
		fprintf(f, "%s%d", first ? "" : ",", ci->sess[i].accept);
		first = false;
	}
	fprintf(f, "],\"start\":");
	json_accept(f, ci->start_accept);
	fprintf(f, ",\"stop_n\":");
	json_accept(f, ci->stop_accept);
	fprintf(f, ",\"server_stop\":");
	json_accept(f, ci->server_stopped ? ci->server_stop_accept : -1);
	fprintf(f, "},\"start\":");
	if (ci->start_cmd != NULL)
		json_str(f, ci->start_cmd);
	else
		fprintf(f, "null");
	fprintf(f, ",\"stop\":");
	if (ci->stop_cmd != NULL)
		json_str(f, ci->stop_cmd);
	else
		fprintf(f, "null");
	fprintf(f, ",\"server_stopped\":%s,\"sessions\":[",
		ci->server_stopped ? "true" : "false");
	first = true;
	for (unsigned int i = 0; i < ci->nb_sessions; i++) {
		const struct client_session *s = &ci->sess[i];
		char sid[2 * TW_CTRL_SID_LEN + 1];

		if (s->accept < 0)
			continue;
		fprintf(f, "%s{\"session\":%u,\"accept\":%d,\"sender\":", first ? "" : ",",
			s->num, s->accept);
		first = false;
		json_str(f, s->local_str);
		if (s->accept != TW_CTRL_ACCEPT_OK) {
			fprintf(f, "}");
			continue;
		}
		sid_hex(s->sid, sid);
		fprintf(f, ",\"reflector\":");
		json_str(f, s->peer_str);
		fprintf(f, ",\"port\":%u,\"sid\":\"%s\"", s->port, sid);
		if (ci->mode & TW_CTRL_MODE_REFLECT_OCTETS)
			fprintf(f, ",\"octets_reflected\":%u,\"reflected_octets\":%u"
				",\"server_octets\":%u,\"padding_reflect\":%u",
				s->octets_reflected, s->reflected_octets, s->server_octets,
				s->tp.reflect_len);
		fprintf(f, "}");
	}
	fprintf(f, "],\"violations\":{\"mbz\":%" PRIu64 ",\"reflected_octets\":%" PRIu64
		"},\"tx_octets\":%" PRIu64 ",\"rx_octets\":%" PRIu64 ",\"error\":",
		ci->st.viol[TW_CTRL_VIOL_MBZ], ci->st.viol[TW_CTRL_VIOL_REFLECTED], ci->st.tx_octets,
		ci->st.rx_octets);
	if (ci->error[0] != '\0')
		json_str(f, ci->error);
	else
		fprintf(f, "null");
	fprintf(f, "}");
}

void
report_control_json(FILE *f, const struct client_opts *o, const struct control_info *ci,
		    const struct report_sess *total)
{
	const struct test_params *tp = session_tp(o, ci);
	bool first = true;

	fprintf(f, "{\"server\":");
	json_str(f, ci->server_str);
	fprintf(f, ",\"reflector\":");
	json_str(f, ci->server_str);
	fprintf(f, ",\"local\":");
	json_str(f, ci->local_str);
	fprintf(f, ",\"mode\":");
	if (ci->mode != 0)
		json_str(f, control_mode_name(ci->mode));
	else
		fprintf(f, "null");
	fprintf(f, ",\"params\":{\"count\":%u,\"interval_ns\":%" PRIu64, o->tp.count,
		o->tp.interval_ns);
	if (tp != &o->tp)
		fprintf(f, ",\"padding\":%u,\"packet_size\":%zu", tp->padding,
			sender_fixed_len(tp) + tp->padding);
	else
		fprintf(f, ",\"padding\":null,\"packet_size\":null");
	fprintf(f, ",\"dscp\":");
	json_dscp(f, o->dscp);
	fprintf(f, ",\"wait_ns\":%" PRIu64 ",\"sessions\":%u,\"timeout_ns\":%" PRIu64
		",\"test_port\":", o->tp.wait_ns, o->nb_sessions, o->timeout_ns);
	json_accept(f, o->test_port ? o->test_port : -1);
	fprintf(f, "},");
	json_control(f, o, ci);
	if (total->res == NULL) {
		fprintf(f, ",\"sessions\":[]}\n");
		return;
	}
	fprintf(f, ",");
	json_body(f, o, total->res, total->s);
	fprintf(f, ",\"bad_hmac\":%" PRIu64 ",\"sessions\":[", total->res->bad_hmac);
	for (unsigned int i = 0; i < ci->nb_sessions; i++) {
		const struct client_session *s = &ci->sess[i];
		char sid[2 * TW_CTRL_SID_LEN + 1];

		if (!s->ran)
			continue;
		sid_hex(s->sid, sid);
		fprintf(f, "%s{\"session\":%u,\"sid\":\"%s\",\"reflector\":", first ? "" : ",",
			s->num, sid);
		first = false;
		json_str(f, s->peer_str);
		fprintf(f, ",\"local\":");
		json_str(f, s->local_str);
		fprintf(f, ",");
		json_body(f, o, &s->res, &s->sum);
		fprintf(f, ",\"bad_hmac\":%" PRIu64, s->res.bad_hmac);
		if (o->per_packet)
			json_packets(f, s->res.m);
		fprintf(f, "}");
	}
	fprintf(f, "]}\n");
}

void
report_control_human(FILE *f, const struct client_opts *o, const struct control_info *ci,
		     const struct report_sess *total)
{
	char buf[64], sid[2 * TW_CTRL_SID_LEN + 1];
	unsigned int ran = 0;

	fprintf(f, "--- TWAMP-Control %s from %s ---\n", ci->server_str, ci->local_str);
	fprintf(f, "mode %s: Mode 0x%x (%s%s", control_mode_name(ci->mode), ci->mode,
		control_mode_name(ci->mode),
		ci->mode & TW_CTRL_MODE_IKEV2 ? ", IKEv2-derived key" : "");
	for (size_t i = 0; i < sizeof(feature_names) / sizeof(feature_names[0]); i++) {
		if (ci->mode & feature_names[i].bit)
			fprintf(f, ", %s", feature_names[i].name);
	}
	fprintf(f, ")");
	if (ci->have_greeting)
		fprintf(f, "; server offers Modes 0x%x, Count %u", ci->modes_offered, ci->count);
	fprintf(f, "\n");
	if (o->tp.ptp || (ci->modes_offered & TW_CTRL_MODE_PTP))
		fprintf(f, "PTPv2 reflector timestamps (RFC 8186, Modes 512): %s, %s, %s\n",
			o->tp.ptp ? "requested" : "not requested",
			(ci->modes_offered & TW_CTRL_MODE_PTP) ? "offered" : "not offered",
			(ci->mode & TW_CTRL_MODE_PTP) ? "negotiated" : "not negotiated");
	if (ci->ike) {
		char hi[17], hr[17];

		keys_hex(ci->ike_spi_i, ci->ike_spi_len, hi);
		keys_hex(ci->ike_spi_r, ci->ike_spi_len, hr);
		fprintf(f, "key PRF(SK_d, \"IPPM\") of IKEv2 SA SPIi %s SPIr %s (%s, from the %s "
			"provider; Key ID layout %s, RFC 7717)\n", hi, hr,
			ci->ike_prf ? ci->ike_prf : "?", ci->ike_provider,
			ci->ike_layout == TW_CTRL_SPI_4_4 ? "4+4" : "8+8");
	}
	ntp_iso(ci->server_start_time, buf, sizeof(buf));
	fprintf(f, "server started %s; %s Accept %d", buf,
		ci->start_cmd != NULL ? ci->start_cmd : "start", ci->start_accept);
	if (ci->stop_cmd != NULL) {
		fprintf(f, "; %s", ci->stop_cmd);
		if (ci->stop_accept >= 0)
			fprintf(f, " Accept %d", ci->stop_accept);
	}
	if (ci->server_stopped)
		fprintf(f, "; the server sent Stop-Sessions (Accept %d)", ci->server_stop_accept);
	fprintf(f, "\n");
	if (ci->st.viol[TW_CTRL_VIOL_MBZ] || ci->st.viol[TW_CTRL_VIOL_REFLECTED])
		fprintf(f, "warning: the server broke MBZ %" PRIu64 " times and did not echo the "
			"Octets to be reflected %" PRIu64 " times\n", ci->st.viol[TW_CTRL_VIOL_MBZ],
			ci->st.viol[TW_CTRL_VIOL_REFLECTED]);
	for (unsigned int i = 0; i < ci->nb_sessions; i++) {
		const struct client_session *s = &ci->sess[i];

		if (s->accept != TW_CTRL_ACCEPT_OK)
			continue;
		sid_hex(s->sid, sid);
		fprintf(f, "session %u: %s -> %s, SID %s", s->num, s->local_str, s->peer_str, sid);
		if (ci->mode & TW_CTRL_MODE_REFLECT_OCTETS)
			fprintf(f, ", reflect %u octets, server octets 0x%04x", s->tp.reflect_len,
				s->server_octets);
		fprintf(f, "\n");
	}
	for (unsigned int i = 0; i < ci->nb_sessions; i++) {
		const struct client_session *s = &ci->sess[i];

		if (!s->ran)
			continue;
		ran++;
		if (o->per_packet)
			report_per_packet(f, s->res.m);
		fprintf(f, "--- session %u %s TWAMP statistics ---\n", s->num, s->peer_str);
		human_body(f, o, &s->res, &s->sum);
	}
	if (ran > 1) {
		fprintf(f, "--- total %s TWAMP statistics (%u sessions) ---\n", ci->server_str, ran);
		human_body(f, o, total->res, total->s);
	}
}
