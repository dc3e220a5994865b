"""The product rules in their one home each (issue 24): the version of an
edit, the frame size's lens width and bridge together, delete or
deactivate, the margin, below minimum stock; and the admin, which uses the
same homes."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from products import services
from products.admin import OUTDATED
from products.models import Category, Margin, Product, StockMovement, margin
from products.tests.factories import product

pytestmark = pytest.mark.django_db
Kind = StockMovement.Kind


def sell(item: Product, quantity: int = 1) -> None:
    services.stock_move(product_id=item.pk, kind=Kind.RECEIPT, quantity=quantity + 1)
    services.stock_move(product_id=item.pk, kind=Kind.SALE, quantity=quantity)


# --- Version -----------------------------------------------------------------------------


def test_a_new_product_is_version_1_and_each_edit_counts_up():
    item = product(name="Titan")
    assert item.version == 1
    saved = services.product_update(product_id=item.pk, data={"name": "Titan 2"})
    assert saved.version == 2
    saved = services.product_update(
        product_id=item.pk, data={"name": "Titan 3"}, expected_version=2
    )
    item.refresh_from_db()
    assert (saved.version, item.version, item.name) == (3, 3, "Titan 3")


def test_stock_movements_move_neither_the_version_nor_the_time_of_the_last_change():
    item = product()
    before = Product.objects.get(pk=item.pk)
    sell(item, 2)
    services.reorder_line_receive(
        line_id=services.reorder_line_order(product_id=item.pk, quantity=3).pk, quantity=3
    )
    after = Product.objects.get(pk=item.pk)
    assert after.stock == before.stock + 4
    assert (after.version, after.updated_at) == (before.version, before.updated_at)
    # So an edit based on the version read before the sale goes through.
    services.product_update(
        product_id=item.pk, data={"name": "Nach dem Verkauf"}, expected_version=before.version
    )


def test_an_edit_on_an_older_version_is_refused_and_changes_nothing():
    item = product(name="Titan")
    services.product_update(product_id=item.pk, data={"sale_price": Decimal("299.00")})
    with pytest.raises(services.ProductConflict) as caught:
        services.product_update(product_id=item.pk, data={"name": "Zu spät"}, expected_version=1)
    assert caught.value.version == caught.value.current.version == 2
    assert caught.value.current.sale_price == Decimal("299.00")
    item.refresh_from_db()
    assert (item.name, item.version) == ("Titan", 2)


def test_an_invalid_edit_leaves_the_version():
    item = product()
    with pytest.raises(ValidationError):
        services.product_update(product_id=item.pk, data={"vat_rate": 16}, expected_version=1)
    item.refresh_from_db()
    assert item.version == 1


# --- Lens width and bridge together --------------------------------------------------------


@pytest.mark.parametrize(
    ("sizes", "field"),
    [
        ({"lens_width": 52}, "bridge_width"),
        ({"bridge_width": 18, "temple_length": 140}, "lens_width"),
    ],
)
def test_a_frame_size_names_lens_width_and_bridge_together(sizes, field):
    with pytest.raises(ValidationError) as caught:
        product(category=Category.FRAME, **sizes)
    assert caught.value.message_dict == {
        field: ["Bitte geben Sie Glasbreite und Steg zusammen ein."]
    }
    item = product(category=Category.FRAME, lens_width=52, bridge_width=18)
    with pytest.raises(ValidationError) as caught:
        services.product_update(product_id=item.pk, data={"bridge_width": None})
    assert "bridge_width" in caught.value.message_dict
    assert product(category=Category.FRAME).frame_size == ""  # no size at all is fine


# --- Delete or deactivate -------------------------------------------------------------------


def test_a_product_nothing_refers_to_is_deleted():
    item = product()
    assert services.product_is_kept(product_id=item.pk) is False
    assert services.product_delete(product_id=item.pk) is True
    assert not Product.objects.filter(pk=item.pk).exists()


@pytest.mark.parametrize("reference", ["movement", "order"])
def test_a_product_with_movements_or_orders_is_deactivated_as_an_edit(reference):
    item = product()
    if reference == "movement":
        sell(item)
    else:
        services.reorder_line_order(product_id=item.pk, quantity=2)
    assert services.product_is_kept(product_id=item.pk) is True
    assert services.product_delete(product_id=item.pk) is False
    item.refresh_from_db()
    assert not item.active and item.version == 2
    # Again: nothing more to do, no new version.
    assert services.product_delete(product_id=item.pk) is False
    item.refresh_from_db()
    assert item.version == 2


def test_the_kept_question_is_one_query(django_assert_num_queries):
    item = product()
    with django_assert_num_queries(1):
        services.product_is_kept(product_id=item.pk)


# --- Margin -----------------------------------------------------------------------------------


def test_margin_in_euros_and_per_cent_of_the_sale_price():
    item = product(purchase_price=Decimal("80.00"), sale_price=Decimal("249.00"))
    assert item.margin == Margin(Decimal("169.00"), Decimal("67.9"))
    assert margin(Decimal("10"), Decimal("0")) == Margin(Decimal("-10"), None)
    assert margin(None, Decimal("10")) == Margin(None, None)


# --- Below minimum stock -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minimum", "stock", "below"),
    [(0, 0, False), (3, 0, True), (3, 2, True), (3, 3, False), (3, 4, False)],
)
def test_below_minimum_is_one_rule_for_a_loaded_product_and_for_queries(minimum, stock, below):
    """BELOW_MINIMUM in SQL (filter, reorder list, the partial index) and
    Product.below_minimum in Python answer alike, at the border too."""
    item = product(minimum_stock=minimum)
    if stock:
        services.stock_move(product_id=item.pk, kind=Kind.RECEIPT, quantity=stock)
    item.refresh_from_db()
    assert item.below_minimum is below
    assert Product.objects.below_minimum().filter(pk=item.pk).exists() is below


# --- Admin ------------------------------------------------------------------------------------


def change_url(item: Product) -> str:
    return reverse("admin:products_product_change", args=[item.pk])


def admin_form(client, item: Product) -> dict:
    """The admin's change form as loaded, ready to post back."""
    form = client.get(change_url(item)).context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else value
    # The read-only ledger inline's management form.
    data.update(
        {
            "movements-TOTAL_FORMS": "0",
            "movements-INITIAL_FORMS": "0",
            "movements-MIN_NUM_FORMS": "0",
            "movements-MAX_NUM_FORMS": "1000",
        }
    )
    return data


def test_admin_form_carries_the_version_and_saves_through_the_service(owner_client):
    item = product(name="Titan")
    data = admin_form(owner_client, item)
    assert data["version"] == 1
    sell(item)  # a sale meanwhile is no edit
    response = owner_client.post(change_url(item), {**data, "name": "Titan Admin"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    item.refresh_from_db()
    assert (item.name, item.version, item.stock) == ("Titan Admin", 2, 1)


def test_a_stale_admin_save_says_so_at_the_top_and_saves_nothing(owner_client):
    item = product(name="Titan", sale_price=Decimal("249.00"))
    data = admin_form(owner_client, item)
    services.product_update(product_id=item.pk, data={"sale_price": Decimal("299.00")})
    response = owner_client.post(change_url(item), {**data, "name": "Titan Admin"})
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.non_field_errors() == [str(OUTDATED)]
    body = response.content.decode()
    assert 'class="errornote"' in body and 'value="Titan Admin"' in body  # the input stays
    item.refresh_from_db()
    assert (item.name, item.sale_price, item.version) == ("Titan", Decimal("299.00"), 2)
    # Without a version the admin refuses as the product form does.
    data.pop("version")
    response = owner_client.post(change_url(item), {**data, "name": "Ohne Version"})
    assert "Dieses Formular ist veraltet" in response.content.decode()


def test_admin_checks_frame_size_pairing(owner_client):
    item = product(category=Category.FRAME)
    data = admin_form(owner_client, item)
    response = owner_client.post(change_url(item), {**data, "lens_width": "52"})
    assert response.context["adminform"].form.errors["bridge_width"] == [
        "Bitte geben Sie Glasbreite und Steg zusammen ein."
    ]


def test_admin_deletes_an_unused_product(owner_client):
    item = product()
    url = reverse("admin:products_product_delete", args=[item.pk])
    assert "Ja, ich bin sicher" in owner_client.get(url).content.decode()
    response = owner_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not Product.objects.filter(pk=item.pk).exists()


def test_admin_deactivates_a_product_with_movements(owner_client):
    item = product(name="Titan")
    sell(item)
    url = reverse("admin:products_product_delete", args=[item.pk])
    page = owner_client.get(url).content.decode()
    assert "deaktivieren" in page.lower() and "geschützt" not in page
    response = owner_client.post(url, {"post": "yes"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:products_product_changelist")
    assert any("Titan" in str(m) for m in response.context["messages"])
    item.refresh_from_db()
    assert not item.active and item.version == 2 and item.movements.count() == 2
    from django.contrib.admin.models import CHANGE, LogEntry

    assert LogEntry.objects.get(object_id=str(item.pk)).action_flag == CHANGE


def test_admin_deactivating_takes_the_change_permission_only(staff, client):
    """Staff may change products but not delete them: in the admin as on
    the product pages, they may deactivate a product with movements."""
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    used, unused = product(), product()
    sell(used)
    assert client.get(reverse("admin:products_product_delete", args=[unused.pk])).status_code == 403
    url = reverse("admin:products_product_delete", args=[used.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    used.refresh_from_db()
    assert not used.active


@pytest.mark.django_db(transaction=True)
def test_simultaneous_saves_on_one_version_let_exactly_one_win_and_sales_pass():
    """Of several saves made from the same opened form, one goes through and
    the others are told, with the winner's version; sales at the same time
    are booked and refuse nobody."""
    import threading

    from django.db import connection

    item = product(name="Titan")
    services.stock_move(product_id=item.pk, kind=Kind.RECEIPT, quantity=10)
    names = [f"Titan {number}" for number in range(4)]
    barrier = threading.Barrier(len(names) + 2)
    outcome: dict[str, str] = {}

    def save(name: str) -> None:
        try:
            barrier.wait()
            services.product_update(product_id=item.pk, data={"name": name}, expected_version=1)
            outcome[name] = "saved"
        except services.ProductConflict as conflict:
            assert conflict.version == conflict.current.version == 2
            outcome[name] = "conflict"
        finally:
            connection.close()

    def sale() -> None:
        try:
            barrier.wait()
            services.stock_move(product_id=item.pk, kind=Kind.SALE, quantity=1)
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(name,)) for name in names]
    threads += [threading.Thread(target=sale) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    winners = [name for name, result in outcome.items() if result == "saved"]
    assert len(winners) == 1 and len(outcome) == len(names)
    item.refresh_from_db()
    assert (item.name, item.version, item.stock) == (winners[0], 2, 8)
