"""Program content in Kazakh (as the program document writes it), Russian and English.

Each field gets name_kk, name_ru and name_en; pages show the reader's language and fall
back to Kazakh, the language of the approved program."""

from modeltranslation.translator import TranslationOptions, register

from directions.models import (
    Alignment,
    Direction,
    Goal,
    Program,
    StateDocument,
    TargetIndicator,
    Task,
)


@register(Program)
class ProgramTranslation(TranslationOptions):
    fields = ("title", "developer", "basis", "indicators_summary", "funding")


@register(Direction)
class DirectionTranslation(TranslationOptions):
    fields = ("name", "heading_in_table")


@register(Goal)
class GoalTranslation(TranslationOptions):
    fields = ("name", "name_in_table")


@register(Task)
class TaskTranslation(TranslationOptions):
    fields = ("name", "name_in_table")


@register(StateDocument)
class StateDocumentTranslation(TranslationOptions):
    fields = ("name",)


@register(Alignment)
class AlignmentTranslation(TranslationOptions):
    fields = ("text",)


@register(TargetIndicator)
class TargetIndicatorTranslation(TranslationOptions):
    fields = ("name",)
