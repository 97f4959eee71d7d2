"""A request may not upload more than settings.MAX_UPLOAD_BYTES in all."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler


class LimitedUploadHandler(FileUploadHandler):
    """Refuses an oversized upload before it fills memory or disk. The whole request is
    refused (400, see metu_strategy.views.bad_request), so nothing is half-saved."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length > settings.MAX_UPLOAD_BYTES:
            raise RequestDataTooBig("The upload is larger than MAX_UPLOAD_BYTES.")

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > settings.MAX_UPLOAD_BYTES:
            raise RequestDataTooBig("The upload is larger than MAX_UPLOAD_BYTES.")
        return raw_data

    def file_complete(self, file_size):
        return None
