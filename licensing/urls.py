from django.urls import path

from licensing.views import practitioner, webhooks

app_name = "licensing"

urlpatterns = [
    path("", practitioner.renewal_overview, name="overview"),
    path("<int:entry_id>/<int:year>/declare/", practitioner.renewal_declare, name="declare"),
    path("<int:entry_id>/restore/", practitioner.restoration_apply, name="restore"),
    path("statement/", practitioner.statement, name="statement"),
    path("invoices/<int:invoice_id>/", practitioner.invoice_detail, name="invoice-detail"),
    path("invoices/<int:invoice_id>/pay/", practitioner.invoice_pay, name="invoice-pay"),
    path("card-payments/<int:card_payment_id>/", practitioner.card_payment, name="card-payment"),
    path("payments/<int:payment_id>/receipt.pdf", practitioner.payment_receipt, name="payment-receipt"),
    path("licences/<int:licence_id>/certificate.pdf", practitioner.licence_certificate, name="licence-certificate"),
    path("stripe/webhook/", webhooks.stripe_webhook, name="stripe-webhook"),
]
