from django.urls import path

from licensing.views import finance

app_name = "finance"

urlpatterns = [
    path("", finance.debts, name="debts"),
    path("payments/", finance.payment_list, name="payments"),
    path("payments/new/", finance.payment_new, name="payment-new"),
    path("payments/<int:payment_id>/", finance.payment_detail, name="payment-detail"),
    path("payments/<int:payment_id>/proof/", finance.payment_proof, name="payment-proof"),
    path("payments/<int:payment_id>/refund/", finance.payment_refund, name="payment-refund"),
    path("payments/<int:payment_id>/allocate/", finance.payment_allocate, name="payment-allocate"),
    path("invoices/<int:invoice_id>/", finance.invoice_detail, name="invoice-detail"),
    path("invoices/<int:invoice_id>/write-off/", finance.invoice_write_off, name="invoice-write-off"),
    path("invoices/<int:invoice_id>/void/", finance.invoice_void, name="invoice-void"),
    path("approvals/", finance.approvals, name="approvals"),
    path("approvals/<int:adjustment_id>/decide/", finance.approval_decide, name="approval-decide"),
    path("practitioners/<int:practitioner_id>/", finance.practitioner_statement, name="practitioner-statement"),
    path("practitioners/<int:practitioner_id>/exemptions/", finance.exemption_grant, name="exemption-grant"),
]
