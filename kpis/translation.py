from modeltranslation.translator import TranslationOptions, register

from kpis.models import PASSPORT_TEXTS, Input, Kpi, OrgUnit


@register(Kpi)
class KpiTranslation(TranslationOptions):
    fields = ("name", "notes", "methodology", *PASSPORT_TEXTS)


@register(OrgUnit)
class OrgUnitTranslation(TranslationOptions):
    fields = ("name",)


@register(Input)
class InputTranslation(TranslationOptions):
    fields = ("name",)
