"""Shared test set-up: a silent NaN or overflow fails the test (as in Tax-Calculator's conftest)."""

import numpy as np
import pytest

np.seterr(all="raise")


@pytest.fixture
def law():
    from isoplan.tax.law import law_table

    return law_table(0.025)
