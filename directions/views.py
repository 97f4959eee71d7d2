from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from directions import selectors


def program_page(request: HttpRequest) -> HttpResponse:
    program = selectors.current_program()
    ctx = {
        "program": program,
        "directions": selectors.program_tree(program) if program else [],
        "years": program.years if program else [],
    }
    return render(request, "directions/program.html", ctx)
