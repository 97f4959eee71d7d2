from modeltranslation.translator import TranslationOptions, register

from kpis.models import Kpi, OrgUnit


@register(Kpi)
class KpiTranslation(TranslationOptions):
    fields = ("name", "notes", "methodology")


@register(OrgUnit)
class OrgUnitTranslation(TranslationOptions):
    fields = ("name",)
