import gc
import pytest
from tests.conformance import test_admin_conformance as m

@pytest.mark.parametrize("i", range(150))
def test_repeat(i, tmp_path, capsys):
    if i % 3 == 0:
        gc.collect()
    m.test_cnp_fail_closed_rule_conversion(tmp_path, capsys)
