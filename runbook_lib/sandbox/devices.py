"""Virtual MFA devices by IAM's rules: a scannable QR code, codes checked, paths and names checked.

- ``CreateVirtualMFADevice`` returns a real QR code of the device's key URI; the path
  must begin and end with ``/`` (IAM takes ``/a//b/``); a device's path and name are
  unique (``MFA device already exists.``).
- ``EnableMFADevice`` takes only two consecutive current codes of the device's seed, and
  the sandbox keeps neither code.
- An assigned device cannot be deleted.
"""

from __future__ import annotations

from moto.iam.exceptions import DeleteConflictException, EntityAlreadyExists, NoSuchEntity, ValidationError
from moto.iam.models import IAMBackend, VirtualMfaDevice

from runbook_lib.sandbox import mfa
from runbook_lib.sandbox.exceptions import InvalidAuthenticationCode

INVALID_PATH = (
    "The specified value for path is invalid. "
    "It must begin and end with / and contain only alphanumeric characters and/or / characters."
)
"""IAM's message for a ``Path`` not wrapped in ``/`` (recorded 2026-02-17)."""


def check_path(path: str) -> None:
    """IAM's rule for the ``Path`` of an entity it creates: it begins and ends with ``/``."""
    if not (path.startswith("/") and path.endswith("/")):
        raise ValidationError(INVALID_PATH)


class VirtualMfaDevices(IAMBackend):
    """IAM's rules for virtual MFA devices (a mixin of the sandbox backend)."""

    def _virtual_mfa_device(self, serial_number: str) -> VirtualMfaDevice:
        device = self.virtual_mfa_devices.get(serial_number)
        if device is None:
            raise NoSuchEntity(f"MFA Device with serial number {serial_number} does not exist.")
        return device

    def create_virtual_mfa_device(
        self, device_name: str, path: str | None, tags: list[dict[str, str]] | None = None
    ) -> VirtualMfaDevice:
        """A device whose QR code an authenticator app can scan, with its tags kept."""
        path = path or "/"
        check_path(path)
        self._tag_verification(tags or [])
        device = VirtualMfaDevice(self.account_id, region_name=self.region_name, device_name=path + device_name)
        if device.serial_number in self.virtual_mfa_devices:
            raise EntityAlreadyExists("MFA device already exists.")
        uri = mfa.provisioning_uri(device.base32_string_seed, device_name, self.account_id)
        device.qr_code_png = mfa.qr_png(uri)
        self.virtual_mfa_devices[device.serial_number] = device
        self.tagger.tag_resource(device.serial_number, tags or [])
        return device

    def list_mfa_device_tags(self, serial_number: str) -> list[dict[str, str]]:
        self._virtual_mfa_device(serial_number)
        tags: list[dict[str, str]] = self.tagger.list_tags_for_resource(serial_number)["Tags"]
        return tags

    def enable_mfa_device(
        self,
        user_name: str,
        serial_number: str,
        authentication_code_1: str,
        authentication_code_2: str,
    ) -> None:
        """IAM enables a device only with two consecutive, current codes from its seed."""
        self.get_user(user_name)
        device = self._virtual_mfa_device(serial_number)
        if device.user is not None:
            raise EntityAlreadyExists("MFA Device is already in use.")
        seed = device.base32_string_seed
        if not mfa.consecutive_codes(seed, authentication_code_1, authentication_code_2):
            raise InvalidAuthenticationCode("Authentication code for device is not valid.")
        super().enable_mfa_device(user_name, serial_number, "", "")  # the codes are spent: keep neither

    def deactivate_mfa_device(self, user_name: str, serial_number: str) -> None:
        if serial_number not in self.get_user(user_name).mfa_devices:
            raise NoSuchEntity(f"MFA Device with serial number {serial_number} does not exist.")
        super().deactivate_mfa_device(user_name, serial_number)

    def delete_virtual_mfa_device(self, serial_number: str) -> None:
        """IAM refuses to delete a device that is still assigned to a user."""
        if self._virtual_mfa_device(serial_number).user is not None:
            raise DeleteConflictException("Cannot delete entity, must deactivate MFA device first.")
        super().delete_virtual_mfa_device(serial_number)
        self.tagger.delete_all_tags_for_resource(serial_number)
