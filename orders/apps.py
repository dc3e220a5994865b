from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self):
        from customers import erasure

        # An order's lines and status changes go with it; orders protect
        # their customer from an everyday delete, the erasure takes them
        # first. (Invoices, once they exist, will be kept by law instead.)
        erasure.register(
            erasure.Holding(
                model=self.get_model("Order"),
                field="customer_id",
                history=self.get_model("OrderEvent"),
                purged_first=True,
                contact="created_at",
            )
        )
        # A position's history names the customer's purchase (and a
        # discount's reason): it goes with the orders.
        erasure.register_scrub(erasure.Scrub(name="order positions", run=_forget_positions))


def _forget_positions(customer_id: int) -> None:
    from orders.models import Order, OrderLineEvent

    OrderLineEvent.objects.filter(
        order_id__in=Order.objects.filter(customer_id=customer_id).values("pk")
    ).delete()
