"""Message rendering and gateway replies (pure, no servers)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from monev.digest import WHATSAPP_LIMIT, render_digest, subject_for
from notifiers.gateway import reply_failure


def _item(kind: str, n: int, sub: str = "Umum", pic: str = "Budi",
          plan: str = "RB 2026", area: str = "Manajemen Perubahan",
          month: int = 10) -> dict[str, str]:
    return {"kind": kind, "ref": f"k{n}@2026-{month:02d}", "step": "L3",
            "period": f"2026-{month:02d}", "due": f"2026-{month:02d}-{20 + n % 8}",
            "bukti_fisik": f"Laporan kegiatan nomor {n} " + "x" * 40,
            "indikator": f"Indikator {n}", "area": area, "pic": pic, "subbagian": sub,
            "plan": plan}


def test_sekretaris_gets_one_list_by_subbagian_and_person() -> None:
    items = [_item("eskalasi", i, sub, pic) for i, (sub, pic) in enumerate(
        [("Umum", "Rina"), ("Teknis", "Budi"), ("Umum", "Ani"), ("Teknis", "Budi")])]
    subject, body = render_digest("Sekretaris", "sekretaris", "KPU X", date(2026, 11, 9),
                                  items, "Ketua Tim", "email")
    assert subject == "[Monev] 4 bukti terlambat — KPU X"
    assert body.index("PIC: Budi (Teknis)") < body.index("PIC: Ani (Umum)") < \
        body.index("PIC: Rina (Umum)")
    assert body.count("Kode: k") == 4


def test_an_item_opened_and_reminded_the_same_day_is_listed_once() -> None:
    items = [_item("pengingat", 1), _item("dibuka", 1), _item("dibuka", 2)]
    subject, body = render_digest("Budi", "pic", "KPU X", date(2026, 10, 27), items, "Tim ZI",
                                  "email")
    assert "1 jatuh tempo 21 Okt 2026" in subject and "1 tugas baru" in subject
    assert body.count("k1@2026-10") == 1 and body.count("k2@2026-10") == 1


@pytest.mark.parametrize("n", [1, 60])
def test_whatsapp_text_fits_1024_with_a_count(n: int) -> None:
    items = [_item("terlambat", i) for i in range(n)]
    _, body = render_digest("Budi", "pic", "KPU Kabupaten Muaro Jambi", date(2026, 11, 2),
                            items, "Ketua Tim ZI", "whatsapp")
    assert len(body) <= WHATSAPP_LIMIT
    assert body.startswith("[Monev]")
    assert "dipotong" not in body, "a long list is summed up, never cut"
    if n == 1:
        assert "Laporan kegiatan nomor 0" in body and "tenggat 20 Okt 2026" in body
    else:
        assert f"Terlambat ({n}):\n  RB 2026 · Manajemen Perubahan: {n}" in body


def _links(n: int) -> list[str]:
    return [f"https://monev.satker.go.id/p/{'T' * 43}/c/{i}" for i in range(n)]


@pytest.mark.parametrize("role", ["ketua_tim", "sekretaris"])
def test_a_flood_is_summed_up_per_plan_and_area_with_the_worst_few(role: str) -> None:
    kind = "tunggakan" if role == "ketua_tim" else "eskalasi"
    items = [dict(_item(kind, i, plan="RB 2026" if i % 4 else "ZI 2025",
                        area="Pengawasan" if i % 3 else "Manajemen Perubahan",
                        month=1 + i % 10, sub="Umum" if i % 2 else "Teknis"),
                  link=link) for i, link in enumerate(_links(571))]
    subject, body = render_digest("Orang", role, "KPU X", date(2026, 11, 29), items,
                                  "Ketua Tim ZI Contoh (Ketua Tim ZI)", "email")
    assert len(body) < 2500, "no wall of 571 items"
    counts = dict(re.findall(r"^  ((?:RB 2026|ZI 2025) · [^:]+): (\d+)$", body, re.M))
    expected: dict[str, int] = {}
    for it in items:
        key = f"{it['plan']} · {it['area']}"
        expected[key] = expected.get(key, 0) + 1
    assert {k: int(v) for k, v in counts.items()} == expected
    worst = re.findall(r"tenggat (\d+ \w+ 2026)", body)
    assert worst == ["20 Jan 2026"] * 3, "the longest overdue first, dates with the year"
    assert f"Semua 571 butir: https://monev.satker.go.id/p/{'T' * 43}/papan" in body
    assert "(ZI 2025, Januari 2026)" in body or "(RB 2026, Januari 2026)" in body
    if role == "sekretaris":
        assert "Per subbagian: Teknis (286), Umum (285)" in body
    _, wa = render_digest("Orang", role, "KPU X", date(2026, 11, 29), items, "Tim ZI",
                          "whatsapp")
    assert len(wa) <= WHATSAPP_LIMIT and "/papan" in wa and "dipotong" not in wa


def test_the_footer_never_asks_the_contact_to_contact_themselves() -> None:
    items = [_item("tunggakan", 1)]
    _, own = render_digest("Ketua Tim ZI Contoh", "ketua_tim", "KPU X", date(2026, 11, 2),
                           items, "Ketua Tim ZI Contoh (Ketua Tim ZI)", "email")
    assert "hubungi" not in own
    _, other = render_digest("Budi", "pic", "KPU X", date(2026, 11, 2), items,
                             "Ketua Tim ZI Contoh (Ketua Tim ZI)", "email")
    assert "Pertanyaan: hubungi Ketua Tim ZI Contoh (Ketua Tim ZI)." in other


def test_subject_is_short_enough_for_a_phone() -> None:
    items = [_item(k, i) for i, k in enumerate(
        ["terlambat", "tenggat", "pengingat", "dibuka", "tunggakan", "monev"])]
    subject = subject_for("KPU Kabupaten Muaro Jambi", items)
    assert subject.startswith("[Monev] 1 bukti terlambat, 1 tenggat hari ini")
    assert len(subject) < 150


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
    assert "(RB 2026, Oktober 2026) — tenggat 22 Okt 2026" in body
    assert body.index("Ditolak") < body.index("Terlambat")
    assert "Alasan ditolak: foto buram (Koordinator)" in body
    assert "Buka: https://monev.satker.go.id/p/" + "T" * 43 + "/c/2" in body
    # the task list link puts this message's items on top, the rejected one first
    assert f"Semua tugas Anda: https://monev.satker.go.id/p/{'T' * 43}/sorot/2,1\n" in body


def test_cut_whatsapp_points_at_the_persons_own_list() -> None:
    items = [_linked("terlambat", i) for i in range(40)]
    _, body = render_digest("Budi", "pic", "KPU X", date(2026, 11, 2), items, "Tim ZI",
                            "whatsapp")
    assert len(body) <= WHATSAPP_LIMIT and "dipotong" not in body
    assert f"Semua butir: https://monev.satker.go.id/p/{'T' * 43}/sorot/0,1,2,3,4\n" in body


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
