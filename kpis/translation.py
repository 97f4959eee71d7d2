from modeltranslation.translator import TranslationOptions, register

from kpis.models import Input, Kpi, OrgUnit


@register(Kpi)
class KpiTranslation(TranslationOptions):
    fields = ("name", "notes", "methodology")


@register(OrgUnit)
class OrgUnitTranslation(TranslationOptions):
    fields = ("name",)


@register(Input)
class InputTranslation(TranslationOptions):
    fields = ("name",)
