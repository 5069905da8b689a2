"""Plan files: the condition catalogue and the shipped plan templates, loaded and validated."""

from huzhu.plans.loader import (
    TEMPLATE_IDS,
    Catalogue,
    load_catalogue,
    load_plan_file,
    load_plan_text,
    load_template,
    load_templates,
)

__all__ = [
    "TEMPLATE_IDS",
    "Catalogue",
    "load_catalogue",
    "load_plan_file",
    "load_plan_text",
    "load_template",
    "load_templates",
]
