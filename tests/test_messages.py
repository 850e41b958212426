"""Message rendering and gateway replies (pure, no servers)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from notifiers.gateway import reply_failure
from notifiers.messages import WHATSAPP_LIMIT, render_digest, subject_for


def _item(kind: str, n: int, sub: str = "Umum", pic: str = "Budi") -> dict[str, str]:
    return {"kind": kind, "ref": f"k{n}@2026-10", "step": "L3", "period": "2026-10",
            "due": "2026-10-30", "bukti_fisik": f"Laporan kegiatan nomor {n} " + "x" * 40,
            "indikator": f"Indikator {n}", "area": "Manajemen Perubahan", "pic": pic,
            "subbagian": sub}


def test_sekretaris_gets_one_list_grouped_by_subbagian_and_person() -> None:
    items = [_item("eskalasi", i, sub, pic) for i, (sub, pic) in enumerate(
        [("Umum", "Rina"), ("Teknis", "Budi"), ("Umum", "Ani"), ("Teknis", "Budi")])]
    subject, body = render_digest("Sekretaris", "sekretaris", "KPU X", date(2026, 11, 9),
                                  items, "Ketua Tim", "email")
    assert subject == "[Monev] 4 bukti terlambat — KPU X"
    teknis, umum = body.index("[Teknis]"), body.index("[Umum]")
    assert teknis < umum
    assert body.index("PIC: Budi") < umum < body.index("PIC: Ani") < body.index("PIC: Rina")
    assert body.count("Kode: k") == 4


def test_an_item_opened_and_reminded_the_same_day_is_listed_once() -> None:
    items = [_item("pengingat", 1), _item("dibuka", 1), _item("dibuka", 2)]
    subject, body = render_digest("Budi", "pic", "KPU X", date(2026, 10, 27), items, "Tim ZI",
                                  "email")
    assert "1 jatuh tempo 30 Okt" in subject and "1 tugas baru" in subject
    assert body.count("k1@2026-10") == 1 and body.count("k2@2026-10") == 1


@pytest.mark.parametrize("n", [1, 60])
def test_whatsapp_text_fits_1024_with_a_count(n: int) -> None:
    items = [_item("terlambat", i) for i in range(n)]
    _, body = render_digest("Budi", "pic", "KPU Kabupaten Muaro Jambi", date(2026, 11, 2),
                            items, "Ketua Tim ZI", "whatsapp")
    assert len(body) <= WHATSAPP_LIMIT
    assert body.startswith("[Monev]")
    if n == 1:
        assert "dipotong" not in body and "Kode: k0@2026-10" in body
    else:
        assert f"{n} butir seluruhnya" in body


def test_long_email_lists_are_cut_with_a_count_but_escalations_are_whole() -> None:
    backlog = [_item("tunggakan", i) for i in range(45)]
    _, body = render_digest("Ketua Tim", "ketua_tim", "KPU X", date(2026, 11, 2), backlog,
                            "Tim ZI", "email")
    assert "dan 15 butir lainnya" in body and body.count("Kode: k") == 30
    esc = [_item("eskalasi", i) for i in range(45)]
    _, body = render_digest("Sekretaris", "sekretaris", "KPU X", date(2026, 11, 2), esc,
                            "Tim ZI", "email")
    assert body.count("Kode: k") == 45


def test_subject_is_short_enough_for_a_phone() -> None:
    items = [_item(k, i) for i, k in enumerate(
        ["terlambat", "tenggat", "pengingat", "dibuka", "tunggakan", "monev"])]
    subject = subject_for("KPU Kabupaten Muaro Jambi", items)
    assert subject.startswith("[Monev] 1 bukti terlambat, 1 tenggat hari ini")
    assert len(subject) < 140


@pytest.mark.parametrize(("status", "text", "failed"), [
    (200, '{"status": true, "detail": "success! message in queue"}', None),
    (200, '{"status": false, "reason": "invalid token"}', "invalid token"),
    (200, '{"success": false, "message": "nomor tidak terdaftar"}', "nomor tidak terdaftar"),
    (200, '{"status": "error", "msg": "quota habis"}', "quota habis"),
    (201, '{"id": "true_628@c.us_ABC", "status": {"code": 1}}', None),
    (200, "OK", None),
    (500, "Internal Server Error", "HTTP 500"),
    (401, '{"error": "Unauthorized"}', "HTTP 401"),
])
def test_gateway_reply_is_read_where_it_says_something(status: int, text: str,
                                                        failed: str | None) -> None:
    result = reply_failure(status, text)
    if failed is None:
        assert result is None
    else:
        assert result is not None and failed in result


COMMAND = re.compile(r"\bmonev (evidence|tasks|plan|feed|portal|notify|outbox|up|when|"
                     r"simulate|deploy|report)\b|--file|--by\b")


def _linked(kind: str, n: int) -> dict[str, str]:
    return dict(_item(kind, n), link=f"https://monev.satker.go.id/p/{'T' * 43}/c/{n}")


def test_a_rejection_comes_first_with_its_reason_and_the_link() -> None:
    items = [_linked("terlambat", 1),
             dict(_linked("ditolak", 2), reason="foto buram", by="Koordinator")]
    subject, body = render_digest("Budi", "pic", "KPU X", date(2026, 10, 27), items,
                                  "Tim ZI", "email")
    assert subject.startswith("[Monev] 1 bukti ditolak, 1 bukti terlambat")
    assert body.index("Ditolak") < body.index("Terlambat")
    assert "Alasan ditolak: foto buram (Koordinator)" in body
    assert "Buka: https://monev.satker.go.id/p/" + "T" * 43 + "/c/2" in body
    assert f"Semua tugas Anda: https://monev.satker.go.id/p/{'T' * 43}\n" in body


def test_cut_whatsapp_points_at_the_persons_own_list() -> None:
    items = [_linked("terlambat", i) for i in range(40)]
    _, body = render_digest("Budi", "pic", "KPU X", date(2026, 11, 2), items, "Tim ZI",
                            "whatsapp")
    assert len(body) <= WHATSAPP_LIMIT
    assert body.endswith(f"semua di https://monev.satker.go.id/p/{'T' * 43})")


@pytest.mark.parametrize("channel", ["email", "whatsapp"])
def test_no_user_facing_text_tells_anyone_to_run_a_command(channel: str) -> None:
    from pathlib import Path

    kinds = ["ditolak", "terlambat", "eskalasi", "tenggat", "pengingat", "dibuka",
             "tunggakan", "monev"]
    for role in ("pic", "sekretaris"):
        for items in ([_item(k, i) for i, k in enumerate(kinds)],
                      [_linked(k, i) for i, k in enumerate(kinds * 10)]):
            subject, body = render_digest("Budi", role, "KPU X", date(2026, 11, 2), items,
                                          "Tim ZI", channel)
            assert not COMMAND.search(subject + body), body
    root = Path(__file__).resolve().parent.parent
    templates = [*(root / "notifiers" / "templates").glob("*.j2"),
                 *(root / "portal" / "templates").glob("*.j2"),
                 root / "calendars" / "templates" / "checkpoint.html.j2"]
    assert len(templates) > 10
    for path in templates:
        assert not COMMAND.search(path.read_text(encoding="utf-8")), path
