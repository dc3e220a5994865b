from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self):
        from customers import erasure, list_marks, sections
        from orders import rules
        from orders.selectors import CUSTOMER_PAGE_ORDERS, customer_page_orders, open_order_marks

        shown = CUSTOMER_PAGE_ORDERS

        def orders_of(customer, request):
            if not request.user.has_perm("orders.view_order"):
                return None
            orders = customer_page_orders(customer.pk)
            return {
                "orders": orders[:shown],
                "more": len(orders) > shown,
                "status_label": rules.status_label,
            }

        list_marks.register("orders", open_order_marks)
        sections.register(
            sections.Section(
                name="orders",
                template="orders/_customer_orders.html",
                context=orders_of,
                order=25,
                actions="orders/_customer_actions.html",
            )
        )

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
