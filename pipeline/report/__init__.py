"""Stage 3, report: the health check for the council and each partner, in HTML and PDF
(`stage.run_report_stage`): audience views, sections, charts, renderers and templates."""
