import pytest

from app.domain.offices import Office, chain_above, office_for_unit, validate_chain
from app.domain.validation import ValidationError
from app.domain.vocab import Role
from app.services.offices import list_offices, remove_office, save_office


def chain():
    province = Office("Ban Tổ chức Thành ủy Hà Nội", Role.PROVINCE_OFFICE, "01")
    bloc = Office("Đảng ủy Khối doanh nghiệp", Role.MIDDLE_OFFICE, "01", parent_id=province.id)
    ward = Office("Đảng ủy phường Hoàn Kiếm", Role.WARD_OFFICE, "00070", parent_id=bloc.id)
    return province, bloc, ward


def test_a_chain_with_a_middle_office_is_valid():
    province, bloc, ward = chain()
    assert validate_chain([province, bloc, ward]) == []
    assert [o.name for o in chain_above([province, bloc, ward], ward.id)] == [
        ward.name,
        bloc.name,
        province.name,
    ]
    assert office_for_unit([province, bloc, ward], "00070") is ward
    assert office_for_unit([province, bloc, ward], "00004").role == Role.MIDDLE_OFFICE  # no ward office there


def test_invalid_chains_are_explained():
    province, bloc, ward = chain()
    ward.parent_id = ward.id  # its own parent
    assert any("cấp cao hơn" in p.message for p in validate_chain([province, bloc, ward]))
    province2 = Office("Tỉnh ủy", Role.PROVINCE_OFFICE, "00070")
    assert any("mã 2 số" in p.message for p in validate_chain([province2]))
    hcm = Office("Thành ủy TP.HCM", Role.PROVINCE_OFFICE, "79")
    w = Office("Đảng ủy phường Hoàn Kiếm", Role.WARD_OFFICE, "00070", parent_id=hcm.id)
    assert any("tỉnh khác" in p.message for p in validate_chain([hcm, w]))


def test_chain_is_stored_and_checked(store):
    province, bloc, ward = chain()
    for o in (province, bloc, ward):
        save_office(store, o)
    assert [o.id for o in list_offices(store)] == [province.id, bloc.id, ward.id]
    with pytest.raises(ValidationError, match="đang báo cáo lên"):
        remove_office(store, bloc.id)
    with pytest.raises(ValidationError):
        save_office(store, Office("X", Role.WARD_OFFICE, "01"))
    assert len(list_offices(store)) == 3


def test_offices_on_the_command_line(tmp_path, cli):
    r = cli(
        "offices",
        "add",
        "--name",
        "Thành ủy Hà Nội",
        "--role",
        "province_office",
        "--unit",
        "01",
        data_dir=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    top = r.stdout.split("(")[-1].rstrip(").\n")
    r = cli(
        "offices",
        "add",
        "--name",
        "Đảng ủy phường Hoàn Kiếm",
        "--role",
        "ward_office",
        "--unit",
        "00070",
        "--parent",
        top,
        data_dir=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    r = cli("offices", "list", data_dir=tmp_path)
    assert "Đảng ủy phường Hoàn Kiếm → Thành ủy Hà Nội" in r.stdout
    r = cli("offices", "add", "--name", "Sai", "--role", "ward_office", "--unit", "01", data_dir=tmp_path)
    assert r.returncode == 1 and "mã 5 số" in r.stderr


def test_an_office_is_named_by_its_unit_and_role_when_these_say_it():
    from app.domain.offices import title

    assert title("ward_office", "00070") == "Đảng ủy phường Hoàn Kiếm"
    assert title("province_office", "01") == "Thành ủy Hà Nội"
    assert title("province_office", "22") == "Tỉnh ủy Quảng Ninh"
    # a middle office (a bloc's Party committee, a Labour Federation): its unit does not say its name
    assert title("middle_office", "01") is None
    assert title("ward_office", "01") is None and title("ward_office", "99999") is None
