import pytest

from products import gtin


@pytest.mark.parametrize(
    "code", ["4006381333931", "96385074", "036000291452", "10614141000415", "4012345000009"]
)
def test_valid_codes(code):
    assert gtin.is_valid(code)


@pytest.mark.parametrize(
    "code",
    ["4006381333932", "400638133393", "40063813339311", "abcdefghijklm", "", "４006381333931"],
)
def test_invalid_codes(code):
    assert not gtin.is_valid(code)
