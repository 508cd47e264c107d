"""Branded documents: fact sheets stamped in place, case studies rendered to HTML, PDF and DOCX.

Every public function here is pure and blocking (bytes and validated values in, bytes out; no
database, storage, clock or settings): run it with ``run_blocking("pdf", ...)``. See
``docs/decisions/0004-branded-documents.md``.
"""
