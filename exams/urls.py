from django.urls import path

from exams.views import candidate

app_name = "exams"

urlpatterns = [
    path("", candidate.overview, name="overview"),
    path("sittings/<int:sitting_id>/book/", candidate.book, name="book"),
    path("bookings/<int:booking_id>/", candidate.booking_detail, name="booking"),
    path("bookings/<int:booking_id>/accommodation/", candidate.accommodation_request, name="accommodation-request"),
]
