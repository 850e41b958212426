"""Laporan monev: the monthly, quarterly and year-end report of a plan, a satker or a
province — one data model counted in SQL (:mod:`reports.build`), rendered as HTML
(and, from the very same HTML, PDF), XLSX and Markdown; and the plan's capaian
artifact in Prefect, written for the flows and the portal alike."""
