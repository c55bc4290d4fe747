"""Drives Microsoft's own, unmodified Python libraries (azure-identity and msgraph-sdk, with
msgraph-core and Kiota underneath) against a running `blueprint emulator`, configured the way a
user points them at a custom endpoint: the authority host, the Graph base URL, the hosts the
token may be sent to, and the emulator's CA trusted through SSL_CERT_FILE / REQUESTS_CA_BUNDLE.

Usage: SSL_CERT_FILE=<ca_file> REQUESTS_CA_BUNDLE=<ca_file> python compat.py <ready.json>
Prints one line per check; exits non-zero on the first failure.
"""

import asyncio
import base64
import datetime
import json
import os
import sys
import tempfile
import uuid
from urllib.parse import urlparse

from azure.identity import CertificateCredential, ClientSecretCredential
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.groups.groups_request_builder import GroupsRequestBuilder
from msgraph.generated.models.group import Group
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from kiota_abstractions.method import Method
from msgraph.generated.models.access_review_reviewer_scope import AccessReviewReviewerScope
from msgraph.generated.models.admin_consent_request_policy import AdminConsentRequestPolicy
from msgraph.generated.models.admin_report_settings import AdminReportSettings
from msgraph.generated.models.advanced_config_state import AdvancedConfigState
from msgraph.generated.models.apps_update_channel_type import AppsUpdateChannelType
from msgraph.generated.models.authentication_flows_policy import AuthenticationFlowsPolicy
from msgraph.generated.models.authentication_methods_policy import AuthenticationMethodsPolicy
from msgraph.generated.models.authentication_methods_registration_campaign import (
    AuthenticationMethodsRegistrationCampaign,
)
from msgraph.generated.device_app_management.mobile_apps.item.assign.assign_post_request_body import (
    AssignPostRequestBody as MobileAppAssignPostRequestBody,
)
from msgraph.generated.models.all_devices_assignment_target import AllDevicesAssignmentTarget
from msgraph.generated.models.install_intent import InstallIntent
from msgraph.generated.models.ios_vpp_app import IosVppApp
from msgraph.generated.models.ios_vpp_app_assignment_settings import IosVppAppAssignmentSettings
from msgraph.generated.models.vpp_token import VppToken
from msgraph.generated.models.vpp_token_state import VppTokenState
from msgraph.generated.models.microsoft_edge_channel import MicrosoftEdgeChannel
from msgraph.generated.models.mobile_app_assignment import MobileAppAssignment
from msgraph.generated.models.web_app import WebApp
from msgraph.generated.models.windows_microsoft_edge_app import WindowsMicrosoftEdgeApp
from msgraph.generated.device_management.device_enrollment_configurations.item.assign.assign_post_request_body import (
    AssignPostRequestBody as EnrollmentAssignPostRequestBody,
)
from msgraph.generated.models.device_enrollment_limit_configuration import DeviceEnrollmentLimitConfiguration
from msgraph.generated.models.device_enrollment_platform_restrictions_configuration import (
    DeviceEnrollmentPlatformRestrictionsConfiguration,
)
from msgraph.generated.models.device_enrollment_windows_hello_for_business_configuration import (
    DeviceEnrollmentWindowsHelloForBusinessConfiguration,
)
from msgraph.generated.models.enablement import Enablement
from msgraph.generated.models.enrollment_configuration_assignment import EnrollmentConfigurationAssignment
from msgraph.generated.models.windows10_enrollment_completion_page_configuration import (
    Windows10EnrollmentCompletionPageConfiguration,
)
from msgraph.generated.models.device_compliance_action_item import DeviceComplianceActionItem
from msgraph.generated.models.device_compliance_action_type import DeviceComplianceActionType
from msgraph.generated.models.device_compliance_scheduled_action_for_rule import DeviceComplianceScheduledActionForRule
from msgraph.generated.models.all_device_registration_membership import AllDeviceRegistrationMembership
from msgraph.generated.models.azure_a_d_join_policy import AzureADJoinPolicy
from msgraph.generated.models.device_registration_policy import DeviceRegistrationPolicy
from msgraph.generated.models.local_admin_password_settings import LocalAdminPasswordSettings
from msgraph.generated.models.local_admin_settings import LocalAdminSettings
from msgraph.generated.models.multi_factor_auth_configuration import MultiFactorAuthConfiguration
from kiota_abstractions.request_information import RequestInformation
from msgraph.generated.models.domain import Domain
from msgraph.generated.models.domain_dns_cname_record import DomainDnsCnameRecord
from msgraph.generated.models.domain_dns_mx_record import DomainDnsMxRecord
from msgraph.generated.models.domain_dns_txt_record import DomainDnsTxtRecord
from msgraph.generated.groups.item.assign_license.assign_license_post_request_body import AssignLicensePostRequestBody
from msgraph.generated.groups.item.group_item_request_builder import GroupItemRequestBuilder
from msgraph.generated.models.assigned_license import AssignedLicense
from msgraph.generated.models.subscribed_sku import SubscribedSku
from msgraph.generated.models.organization import Organization
from msgraph.generated.models.organizational_branding import OrganizationalBranding
from msgraph.generated.models.verified_domain import VerifiedDomain
from msgraph.generated.models.device_management import DeviceManagement
from msgraph.generated.models.device_management_settings import DeviceManagementSettings
from msgraph.generated.models.intune_brand import IntuneBrand
from msgraph.generated.models.m365_apps_installation_options import M365AppsInstallationOptions
from msgraph.generated.models.oma_setting_integer import OmaSettingInteger
from msgraph.generated.models.oma_setting_string_xml import OmaSettingStringXml
from msgraph.generated.models.registration_enforcement import RegistrationEnforcement
from msgraph.generated.models.self_service_sign_up_authentication_flow_configuration import (
    SelfServiceSignUpAuthenticationFlowConfiguration,
)
from msgraph.generated.models.windows10_compliance_policy import Windows10CompliancePolicy
from msgraph.generated.models.agreement import Agreement
from msgraph.generated.models.agreement_file_data import AgreementFileData
from msgraph.generated.models.agreement_file_localization import AgreementFileLocalization
from msgraph.generated.models.app_list_item import AppListItem
from msgraph.generated.models.app_list_type import AppListType
from msgraph.generated.models.app_locker_application_control_type import AppLockerApplicationControlType
from msgraph.generated.models.bit_locker_encryption_method import BitLockerEncryptionMethod
from msgraph.generated.models.bit_locker_removable_drive_policy import BitLockerRemovableDrivePolicy
from msgraph.generated.models.day_of_week import DayOfWeek
from msgraph.generated.models.defender_detected_malware_actions import DefenderDetectedMalwareActions
from msgraph.generated.models.defender_threat_action import DefenderThreatAction
from msgraph.generated.models.diagnostic_data_submission_mode import DiagnosticDataSubmissionMode
from msgraph.generated.models.edge_search_engine import EdgeSearchEngine
from msgraph.generated.models.edge_search_engine_type import EdgeSearchEngineType
from msgraph.generated.models.group_lifecycle_policy import GroupLifecyclePolicy
from msgraph.generated.models.authorization_policy import AuthorizationPolicy
from msgraph.generated.models.allow_invites_from import AllowInvitesFrom
from msgraph.generated.models.conditional_access_applications import ConditionalAccessApplications
from msgraph.generated.models.conditional_access_client_app import ConditionalAccessClientApp
from msgraph.generated.models.conditional_access_condition_set import ConditionalAccessConditionSet
from msgraph.generated.models.conditional_access_grant_control import ConditionalAccessGrantControl
from msgraph.generated.models.conditional_access_grant_controls import ConditionalAccessGrantControls
from msgraph.generated.models.conditional_access_policy import ConditionalAccessPolicy
from msgraph.generated.models.conditional_access_policy_state import ConditionalAccessPolicyState
from msgraph.generated.models.conditional_access_session_controls import ConditionalAccessSessionControls
from msgraph.generated.models.conditional_access_users import ConditionalAccessUsers
from msgraph.generated.models.country_named_location import CountryNamedLocation
from msgraph.generated.models.default_user_role_permissions import DefaultUserRolePermissions
from msgraph.generated.models.i_pv4_cidr_range import IPv4CidrRange
from msgraph.generated.models.ip_named_location import IpNamedLocation
from msgraph.generated.models.ios_compliance_policy import IosCompliancePolicy
from msgraph.generated.models.password_profile import PasswordProfile
from msgraph.generated.models.required_password_type import RequiredPasswordType as V1RequiredPasswordType
from msgraph.generated.models.sign_in_frequency_session_control import SignInFrequencySessionControl
from msgraph.generated.models.signin_frequency_type import SigninFrequencyType
from msgraph.generated.models.user import User
from msgraph.generated.models.group_setting import GroupSetting
from msgraph.generated.models.idle_session_sign_out import IdleSessionSignOut
from msgraph.generated.models.ios_device_features_configuration import IosDeviceFeaturesConfiguration
from msgraph.generated.models.ios_general_device_configuration import IosGeneralDeviceConfiguration
from msgraph.generated.models.ios_notification_alert_type import IosNotificationAlertType
from msgraph.generated.models.ios_notification_settings import IosNotificationSettings
from msgraph.generated.models.ios_update_configuration import IosUpdateConfiguration
from msgraph.generated.models.media_content_rating_australia import MediaContentRatingAustralia
from msgraph.generated.models.rating_australia_movies_type import RatingAustraliaMoviesType
from msgraph.generated.models.rating_australia_television_type import RatingAustraliaTelevisionType
from msgraph.generated.models.required_password_type import RequiredPasswordType
from msgraph.generated.models.setting_value import SettingValue
from msgraph.generated.models.sharepoint_settings import SharepointSettings
from msgraph.generated.models.sharing_capabilities import SharingCapabilities
from msgraph.generated.models.state_management_setting import StateManagementSetting
from msgraph.generated.models.terms_expiration import TermsExpiration
from msgraph.generated.models.web_browser_cookie_settings import WebBrowserCookieSettings
from msgraph.generated.models.windows10_endpoint_protection_configuration import Windows10EndpointProtectionConfiguration
from msgraph.generated.models.windows10_general_configuration import Windows10GeneralConfiguration
from msgraph.generated.models.windows_firewall_network_profile import WindowsFirewallNetworkProfile
from msgraph.generated.models.windows10_custom_configuration import Windows10CustomConfiguration
from msgraph.generated.models.unified_role_management_policy import UnifiedRoleManagementPolicy
from msgraph.generated.models.unified_role_management_policy_assignment import (
    UnifiedRoleManagementPolicyAssignment,
)
from msgraph.generated.models.unified_role_management_policy_expiration_rule import (
    UnifiedRoleManagementPolicyExpirationRule,
)
from msgraph.generated.models.unified_role_management_policy_rule_target import (
    UnifiedRoleManagementPolicyRuleTarget,
)
from msgraph.generated.models.unified_role_management_policy_rule_target_operations import (
    UnifiedRoleManagementPolicyRuleTargetOperations,
)
from msgraph.generated.policies.role_management_policy_assignments.role_management_policy_assignments_request_builder import (
    RoleManagementPolicyAssignmentsRequestBuilder,
)
from msgraph.generated.models.windows_update_active_hours_install import WindowsUpdateActiveHoursInstall
from msgraph.generated.models.windows_update_for_business_configuration import (
    WindowsUpdateForBusinessConfiguration,
)
from msgraph.generated.device_app_management.ios_managed_app_protections.item.ios_managed_app_protection_item_request_builder import (
    IosManagedAppProtectionItemRequestBuilder,
)
from msgraph.generated.device_app_management.targeted_managed_app_configurations.item.assign.assign_post_request_body import (
    AssignPostRequestBody as TargetedAssignPostRequestBody,
)
from msgraph.generated.device_app_management.targeted_managed_app_configurations.item.target_apps.target_apps_post_request_body import (
    TargetAppsPostRequestBody,
)
from msgraph.generated.models.group_assignment_target import GroupAssignmentTarget
from msgraph.generated.models.ios_managed_app_protection import IosManagedAppProtection
from msgraph.generated.models.ios_mobile_app_identifier import IosMobileAppIdentifier
from msgraph.generated.models.managed_app_clipboard_sharing_level import ManagedAppClipboardSharingLevel
from msgraph.generated.models.managed_app_data_encryption_type import ManagedAppDataEncryptionType
from msgraph.generated.models.managed_app_data_storage_location import ManagedAppDataStorageLocation
from msgraph.generated.models.managed_app_data_transfer_level import ManagedAppDataTransferLevel
from msgraph.generated.models.managed_app_pin_character_set import ManagedAppPinCharacterSet
from msgraph.generated.models.managed_browser_type import ManagedBrowserType
from msgraph.generated.models.managed_mobile_app import ManagedMobileApp
from msgraph.generated.models.targeted_managed_app_group_type import TargetedManagedAppGroupType
from msgraph.generated.models.targeted_managed_app_policy_assignment import TargetedManagedAppPolicyAssignment
from msgraph_beta import GraphRequestAdapter as BetaGraphRequestAdapter
from msgraph_beta.generated.device_management.group_policy_configurations.item.assign.assign_post_request_body import (
    AssignPostRequestBody as GroupPolicyAssignPostRequestBody,
)
from msgraph_beta.generated.device_management.group_policy_configurations.item.group_policy_configuration_item_request_builder import (
    GroupPolicyConfigurationItemRequestBuilder,
)
from msgraph_beta.generated.device_management.group_policy_configurations.item.update_definition_values.update_definition_values_post_request_body import (
    UpdateDefinitionValuesPostRequestBody,
)
from msgraph_beta.generated.device_management.group_policy_definitions.group_policy_definitions_request_builder import (
    GroupPolicyDefinitionsRequestBuilder,
)
from msgraph_beta.generated.models.group_policy_configuration import GroupPolicyConfiguration
from msgraph_beta.generated.models.group_policy_configuration_assignment import GroupPolicyConfigurationAssignment
from msgraph_beta.generated.models.group_policy_definition_class_type import GroupPolicyDefinitionClassType
from msgraph_beta.generated.models.group_policy_definition_value import GroupPolicyDefinitionValue
from msgraph_beta.generated.models.group_policy_presentation_dropdown_list import GroupPolicyPresentationDropdownList
from msgraph_beta.generated.models.group_policy_presentation_list_box import GroupPolicyPresentationListBox
from msgraph_beta.generated.models.group_policy_presentation_value_list import GroupPolicyPresentationValueList
from msgraph_beta.generated.models.group_policy_presentation_value_text import GroupPolicyPresentationValueText
from msgraph_beta.generated.models.group_policy_type import GroupPolicyType
from msgraph_beta.generated.models.i_pv4_range import IPv4Range
from msgraph_beta.generated.models.i_pv6_cidr_range import IPv6CidrRange
from msgraph_beta.generated.models.key_value_pair import KeyValuePair
from msgraph_beta.generated.models.ios_managed_app_protection import IosManagedAppProtection as BetaIosManagedAppProtection
from msgraph_beta.generated.models.managed_app_notification_restriction import ManagedAppNotificationRestriction
from msgraph_beta.generated.models.managed_app_remediation_action import ManagedAppRemediationAction
from msgraph_beta.generated.models.proxied_domain import ProxiedDomain
from msgraph_beta.generated.models.windows10_network_boundary_configuration import Windows10NetworkBoundaryConfiguration
from msgraph_beta.generated.models.windows_network_isolation_policy import WindowsNetworkIsolationPolicy
from msgraph_beta import GraphServiceClient as BetaGraphServiceClient
from msgraph_beta.generated.models.admin_apps_and_services import AdminAppsAndServices
from msgraph_beta.generated.models.admin_forms import AdminForms
from msgraph_beta.generated.models.admin_todo import AdminTodo
from msgraph_beta.generated.models.b2b_management_policy import B2bManagementPolicy
from msgraph_beta.generated.models.advanced_config_state import AdvancedConfigState as BetaAdvancedConfigState
from msgraph_beta.generated.models.apps_and_services_settings import AppsAndServicesSettings
from msgraph_beta.generated.models.authentication_methods_policy import (
    AuthenticationMethodsPolicy as BetaAuthenticationMethodsPolicy,
)
from msgraph_beta.generated.device_management.configuration_policies.item.assign.assign_post_request_body import (
    AssignPostRequestBody as BetaAssignPostRequestBody,
)
from msgraph_beta.generated.device_management.configuration_policies.item.device_management_configuration_policy_item_request_builder import (
    DeviceManagementConfigurationPolicyItemRequestBuilder,
)
from msgraph_beta.generated.models.all_devices_assignment_target import AllDevicesAssignmentTarget as BetaAllDevicesAssignmentTarget
from msgraph_beta.generated.device_management.device_management_scripts.item.assign.assign_post_request_body import (
    AssignPostRequestBody as ScriptAssignPostRequestBody,
)
from msgraph_beta.generated.device_app_management.mobile_apps.item.assign.assign_post_request_body import (
    AssignPostRequestBody as BetaMobileAppAssignPostRequestBody,
)
from msgraph_beta.generated.models.excluded_apps import ExcludedApps
from msgraph_beta.generated.models.install_intent import InstallIntent as BetaInstallIntent
from msgraph_beta.generated.models.mobile_app_assignment import MobileAppAssignment as BetaMobileAppAssignment
from msgraph_beta.generated.models.office_product_id import OfficeProductId
from msgraph_beta.generated.models.office_suite_app import OfficeSuiteApp
from msgraph_beta.generated.models.delivery_optimization_bandwidth_percentage import (
    DeliveryOptimizationBandwidthPercentage,
)
from msgraph_beta.generated.models.delivery_optimization_max_cache_size_percentage import (
    DeliveryOptimizationMaxCacheSizePercentage,
)
from msgraph_beta.generated.models.windows_delivery_optimization_configuration import (
    WindowsDeliveryOptimizationConfiguration,
)
from msgraph_beta.generated.models.windows_delivery_optimization_mode import WindowsDeliveryOptimizationMode
from msgraph_beta.generated.models.windows10_endpoint_protection_configuration import (
    Windows10EndpointProtectionConfiguration as BetaWindows10EndpointProtectionConfiguration,
)
from msgraph_beta.generated.models.windows10_general_configuration import (
    Windows10GeneralConfiguration as BetaWindows10GeneralConfiguration,
)
from msgraph_beta.generated.models.enablement import Enablement as BetaEnablement
from msgraph_beta.generated.models.lan_manager_authentication_level import LanManagerAuthenticationLevel
from msgraph_beta.generated.models.local_security_options_information_shown_on_lock_screen_type import (
    LocalSecurityOptionsInformationShownOnLockScreenType,
)
from msgraph_beta.generated.models.service_start_type import ServiceStartType
from msgraph_beta.generated.models.office_update_channel import OfficeUpdateChannel
from msgraph_beta.generated.models.windows_architecture import WindowsArchitecture
from msgraph_beta.generated.models.azure_a_d_windows_autopilot_deployment_profile import (
    AzureADWindowsAutopilotDeploymentProfile,
)
from msgraph_beta.generated.models.out_of_box_experience_setting import OutOfBoxExperienceSetting
from msgraph_beta.generated.models.windows_enrollment_status_screen_settings import WindowsEnrollmentStatusScreenSettings
from msgraph_beta.generated.models.dep_i_o_s_enrollment_profile import DepIOSEnrollmentProfile
from msgraph_beta.generated.models.dep_onboarding_setting import DepOnboardingSetting
from msgraph_beta.generated.models.dep_token_type import DepTokenType
from msgraph_beta.generated.models.i_tunes_pairing_mode import ITunesPairingMode
from msgraph_beta.generated.models.windows_autopilot_deployment_profile_assignment import (
    WindowsAutopilotDeploymentProfileAssignment,
)
from msgraph_beta.generated.models.windows_device_usage_type import WindowsDeviceUsageType
from msgraph_beta.generated.models.all_licensed_users_assignment_target import AllLicensedUsersAssignmentTarget
from msgraph_beta.generated.device_management.device_enrollment_configurations.item.assign.assign_post_request_body import (
    AssignPostRequestBody as EnrollmentConfigurationAssignBody,
)
from msgraph_beta.generated.models.device_enrollment_platform_restriction import DeviceEnrollmentPlatformRestriction
from msgraph_beta.generated.models.device_enrollment_platform_restriction_configuration import (
    DeviceEnrollmentPlatformRestrictionConfiguration,
)
from msgraph_beta.generated.models.enrollment_configuration_assignment import EnrollmentConfigurationAssignment
from msgraph_beta.generated.models.enrollment_restriction_platform_type import EnrollmentRestrictionPlatformType
from msgraph_beta.generated.models.apple_enrollment_profile_assignment import AppleEnrollmentProfileAssignment
from msgraph_beta.generated.models.apple_owner_type_enrollment_type import AppleOwnerTypeEnrollmentType
from msgraph_beta.generated.models.apple_user_initiated_enrollment_profile import AppleUserInitiatedEnrollmentProfile
from msgraph_beta.generated.models.apple_user_initiated_enrollment_type import AppleUserInitiatedEnrollmentType
from msgraph_beta.generated.models.apple_vpn_connection_type import AppleVpnConnectionType
from msgraph_beta.generated.models.device_platform_type import DevicePlatformType
from msgraph_beta.generated.models.ios_vpn_configuration import IosVpnConfiguration
from msgraph_beta.generated.models.managed_device_owner_type import ManagedDeviceOwnerType
from msgraph_beta.generated.models.vpn_authentication_method import VpnAuthenticationMethod
from msgraph_beta.generated.models.vpn_server import VpnServer
from msgraph_beta.generated.models.windows_user_type import WindowsUserType
from msgraph_beta.generated.models.device_management_script import DeviceManagementScript
from msgraph_beta.generated.models.device_management_script_assignment import DeviceManagementScriptAssignment
from msgraph_beta.generated.models.run_as_account_type import RunAsAccountType
from msgraph_beta.generated.models.device_management_configuration_choice_setting_instance import (
    DeviceManagementConfigurationChoiceSettingInstance,
)
from msgraph_beta.generated.models.device_management_configuration_choice_setting_value import (
    DeviceManagementConfigurationChoiceSettingValue,
)
from msgraph_beta.generated.models.device_management_configuration_integer_setting_value import (
    DeviceManagementConfigurationIntegerSettingValue,
)
from msgraph_beta.generated.models.device_management_configuration_platforms import DeviceManagementConfigurationPlatforms
from msgraph_beta.generated.models.device_management_configuration_policy import DeviceManagementConfigurationPolicy
from msgraph_beta.generated.models.device_management_configuration_policy_assignment import (
    DeviceManagementConfigurationPolicyAssignment,
)
from msgraph_beta.generated.models.device_management_configuration_policy_template_reference import (
    DeviceManagementConfigurationPolicyTemplateReference,
)
from msgraph_beta.generated.models.device_management_configuration_setting import DeviceManagementConfigurationSetting
from msgraph_beta.generated.models.device_management_configuration_choice_setting_collection_instance import (
    DeviceManagementConfigurationChoiceSettingCollectionInstance,
)
from msgraph_beta.generated.models.device_management_configuration_group_setting_collection_instance import (
    DeviceManagementConfigurationGroupSettingCollectionInstance,
)
from msgraph_beta.generated.models.device_management_configuration_group_setting_value import (
    DeviceManagementConfigurationGroupSettingValue,
)
from msgraph_beta.generated.models.device_management_configuration_simple_setting_collection_instance import (
    DeviceManagementConfigurationSimpleSettingCollectionInstance,
)
from msgraph_beta.generated.models.device_management_configuration_string_setting_value import (
    DeviceManagementConfigurationStringSettingValue,
)
from msgraph_beta.generated.models.device_management_configuration_simple_setting_instance import (
    DeviceManagementConfigurationSimpleSettingInstance,
)
from msgraph_beta.generated.models.device_management_configuration_technologies import (
    DeviceManagementConfigurationTechnologies,
)
from msgraph_beta.generated.models.device_management_configuration_template_family import (
    DeviceManagementConfigurationTemplateFamily,
)
from msgraph_beta.generated.models.device_management.device_management import DeviceManagement as BetaDeviceManagement
from msgraph_beta.generated.models.device_management_settings import (
    DeviceManagementSettings as BetaDeviceManagementSettings,
)
from msgraph_beta.generated.models.device_threat_protection_level import DeviceThreatProtectionLevel
from msgraph_beta.generated.models.ios_compliance_policy import IosCompliancePolicy as BetaIosCompliancePolicy
from msgraph_beta.generated.models.windows10_compliance_policy import (
    Windows10CompliancePolicy as BetaWindows10CompliancePolicy,
)
from msgraph_beta.generated.models.device_enrollment_configuration_type import DeviceEnrollmentConfigurationType
from msgraph_beta.generated.models.windows10_enrollment_completion_page_configuration import (
    Windows10EnrollmentCompletionPageConfiguration as BetaWindows10EnrollmentCompletionPageConfiguration,
)
from msgraph_beta.generated.models.forms_settings import FormsSettings
from msgraph_beta.generated.models.device_enrollment_windows_hello_for_business_configuration import (
    DeviceEnrollmentWindowsHelloForBusinessConfiguration as BetaDeviceEnrollmentWindowsHelloForBusinessConfiguration,
)
from msgraph_beta.generated.models.enablement import Enablement as BetaEnablement
from msgraph_beta.generated.models.o_data_errors.o_data_error import ODataError as BetaODataError
from msgraph_beta.generated.models.report_suspicious_activity_settings import ReportSuspiciousActivitySettings
from msgraph_beta.generated.models.todo_settings import TodoSettings
from msgraph_core import PageIterator
from msgraph_core.requests.batch_request_content import BatchRequestContent
from msgraph_core.requests.batch_request_item import BatchRequestItem

SCOPE = "https://graph.microsoft.com/.default"
POLICY_XML = b"<Policy><Enabled/></Policy>"
checks = 0


class CheckFailed(Exception):
    pass


def check(cond, what, detail=None):
    global checks
    if not cond:
        raise CheckFailed(what if detail is None else f"{what}: {detail}")
    checks += 1
    print(f"ok   {what}", flush=True)


def claims_of(token):
    parts = token.split(".")
    check(len(parts) == 3, "token is a compact JWT (three parts)", len(parts))
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    return json.loads(base64.urlsafe_b64decode(payload))


def graph_client(ready, credential):
    host = urlparse(ready["graph"]).hostname
    # Kiota sends the token only to the hosts it is told about, and only over https.
    auth = AzureIdentityAuthenticationProvider(credential, scopes=[SCOPE], allowed_hosts=[host])
    adapter = GraphRequestAdapter(auth)
    adapter.base_url = f"{ready['graph']}/v1.0"
    return GraphServiceClient(request_adapter=adapter)


def beta_client(ready, credential):
    """msgraph-beta-sdk's client: its own adapter and models, against the emulator's /beta."""
    host = urlparse(ready["graph"]).hostname
    auth = AzureIdentityAuthenticationProvider(credential, scopes=[SCOPE], allowed_hosts=[host])
    adapter = BetaGraphRequestAdapter(auth)
    adapter.base_url = f"{ready['graph']}/beta"
    return BetaGraphServiceClient(request_adapter=adapter)


def unknown_properties(value, where=""):
    """The properties the SDK's models did not know (Kiota keeps them in `additional_data`), at
    any depth: a property Microsoft's schema lacks, or one spelled wrong, shows up here."""
    found = []
    if isinstance(value, list):
        for i, item in enumerate(value):
            found += unknown_properties(item, f"{where}[{i}]")
    elif hasattr(value, "additional_data"):
        found += [f"{where}.{k}" for k in (value.additional_data or {}) if not k.startswith("@odata.")]
        for name, field in vars(value).items():
            if name not in ("additional_data", "backing_store"):
                found += unknown_properties(field, f"{where}.{name}")
    return found


def iso_duration(delta):
    """A timedelta as Graph's Edm.Duration (ISO 8601's day-time form: P365D, PT10H).
    msgraph-sdk-python 1.65 writes a timedelta property as Python's str ("10:00:00",
    "365 days, 0:00:00"), which Graph refuses with 400 (msgraph-sdk-python#1262), so a duration is
    written in the model's `additional_data` in Graph's form; the SDK reads Graph's form back into
    a timedelta."""
    seconds = int(delta.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    time = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (secs, "S")) if n)
    text = "P" + (f"{days}D" if days else "")
    if time or not days:
        text += "T" + (time or "0S")
    return text


async def singleton_round_trip(what, builder, model, change, changed):
    """Reads a settings singleton as the SDK's `model`, PATCHes one property written with the
    SDK's model classes (`change`), and reads it back: `changed(read)` must then hold."""
    before = await builder.get()
    check(isinstance(before, model) and before.id, f"{what}: GET returns a {model.__name__}", before)
    check(not unknown_properties(before), f"{what}: every property is one the SDK's model knows",
          unknown_properties(before))
    await builder.patch(change)
    after = await builder.get()
    check(isinstance(after, model) and changed(after), f"{what}: PATCH of one property reads back", after)
    return after


async def settings_singletons(client, beta):
    """The organisation-wide settings kinds (issue 13), read and written with the SDKs' models."""
    await singleton_round_trip(
        "policies/authenticationFlowsPolicy",
        client.policies.authentication_flows_policy,
        AuthenticationFlowsPolicy,
        AuthenticationFlowsPolicy(self_service_sign_up=SelfServiceSignUpAuthenticationFlowConfiguration(is_enabled=False)),
        lambda p: p.self_service_sign_up is not None and p.self_service_sign_up.is_enabled is False,
    )
    methods = await client.policies.authentication_methods_policy.get()
    campaign = methods.registration_enforcement and methods.registration_enforcement.authentication_methods_registration_campaign
    check(isinstance(campaign, AuthenticationMethodsRegistrationCampaign) and campaign.include_targets,
          "policies/authenticationMethodsPolicy: registrationEnforcement's campaign reads as the SDK's model", methods)
    await singleton_round_trip(
        "policies/authenticationMethodsPolicy (v1.0)",
        client.policies.authentication_methods_policy,
        AuthenticationMethodsPolicy,
        AuthenticationMethodsPolicy(registration_enforcement=RegistrationEnforcement(
            authentication_methods_registration_campaign=AuthenticationMethodsRegistrationCampaign(
                snooze_duration_in_days=5, state=AdvancedConfigState.Enabled,
                include_targets=campaign.include_targets, exclude_targets=[]))),
        lambda p: p.registration_enforcement.authentication_methods_registration_campaign.snooze_duration_in_days == 5
        and p.registration_enforcement.authentication_methods_registration_campaign.state == AdvancedConfigState.Enabled,
    )
    await singleton_round_trip(
        "admin/reportSettings",
        client.admin.report_settings,
        AdminReportSettings,
        AdminReportSettings(display_concealed_names=False),
        lambda r: r.display_concealed_names is False,
    )
    await singleton_round_trip(
        "admin/microsoft365Apps/installationOptions",
        client.admin.microsoft365_apps.installation_options,
        M365AppsInstallationOptions,
        M365AppsInstallationOptions(update_channel=AppsUpdateChannelType.MonthlyEnterprise),
        lambda o: o.update_channel == AppsUpdateChannelType.MonthlyEnterprise
        and o.apps_for_windows is not None and o.apps_for_windows.is_visio_enabled is True,
    )
    await singleton_round_trip(
        "deviceManagement (intuneBrand)",
        client.device_management,
        DeviceManagement,
        DeviceManagement(intune_brand=IntuneBrand(display_name="Contoso IT", show_logo=False)),
        lambda d: d.intune_brand is not None and d.intune_brand.display_name == "Contoso IT",
    )
    await singleton_round_trip(
        "deviceManagement (settings)",
        client.device_management,
        DeviceManagement,
        DeviceManagement(settings=DeviceManagementSettings(secure_by_default=True)),
        lambda d: d.settings is not None and d.settings.secure_by_default is True
        and d.settings.device_compliance_checkin_threshold_days == 30,
    )

    # Beta-only kinds and properties, with msgraph-beta-sdk.
    await singleton_round_trip(
        "beta policies/authenticationMethodsPolicy (reportSuspiciousActivitySettings)",
        beta.policies.authentication_methods_policy,
        BetaAuthenticationMethodsPolicy,
        BetaAuthenticationMethodsPolicy(report_suspicious_activity_settings=ReportSuspiciousActivitySettings(
            state=BetaAdvancedConfigState.Enabled, voice_reporting_code=8)),
        lambda p: p.report_suspicious_activity_settings is not None
        and p.report_suspicious_activity_settings.state == BetaAdvancedConfigState.Enabled
        and p.report_suspicious_activity_settings.voice_reporting_code == 8,
    )
    await singleton_round_trip(
        "beta admin/forms",
        beta.admin.forms,
        AdminForms,
        AdminForms(settings=FormsSettings(is_external_send_form_enabled=False)),
        lambda f: f.settings is not None and f.settings.is_external_send_form_enabled is False
        and f.settings.is_bing_image_search_enabled is True,
    )
    await singleton_round_trip(
        "beta admin/todo",
        beta.admin.todo,
        AdminTodo,
        AdminTodo(settings=TodoSettings(is_external_share_enabled=False)),
        lambda t: t.settings is not None and t.settings.is_external_share_enabled is False,
    )
    await singleton_round_trip(
        "beta admin/appsAndServices",
        beta.admin.apps_and_services,
        AdminAppsAndServices,
        AdminAppsAndServices(settings=AppsAndServicesSettings(is_office_store_enabled=False)),
        lambda a: a.settings is not None and a.settings.is_office_store_enabled is False,
    )


async def admin_consent_request_policy(client):
    """The admin consent request policy (issue 13), written with PUT of the SDK's model. Graph's
    metadata says PATCH, so the SDK's own `patch` sends PATCH, which Graph answers 404 (the
    service behind it has only PUT: msgraph-metadata#218, #583); the request the SDK builds is
    sent as PUT instead, as Microsoft's update reference writes it."""
    builder = client.policies.admin_consent_request_policy
    before = await builder.get()
    check(isinstance(before, AdminConsentRequestPolicy) and isinstance(before.is_enabled, bool),
          "policies/adminConsentRequestPolicy: GET returns an AdminConsentRequestPolicy", before)
    check(not unknown_properties(before), "policies/adminConsentRequestPolicy: every property is one the SDK's model knows",
          unknown_properties(before))
    policy = AdminConsentRequestPolicy(
        is_enabled=True, notify_reviewers=True, reminders_enabled=False, request_duration_in_days=7,
        reviewers=[AccessReviewReviewerScope(query="/users/b6879be8-fb87-4482-a72e-18445d2b5c54", query_type="MicrosoftGraph")])
    try:
        await builder.patch(policy)
        check(False, "policies/adminConsentRequestPolicy: the SDK's PATCH is refused", "it succeeded")
    except ODataError as err:
        check(err.response_status_code == 404, "policies/adminConsentRequestPolicy: the SDK's PATCH gets Graph's 404",
              err.response_status_code)
    request = builder.to_patch_request_information(policy)
    request.http_method = Method.PUT
    await client.request_adapter.send_no_response_content_async(request, {"XXX": ODataError})
    after = await builder.get()
    check(isinstance(after, AdminConsentRequestPolicy) and after.is_enabled is True and after.request_duration_in_days == 7
          and after.reviewers and isinstance(after.reviewers[0], AccessReviewReviewerScope)
          and after.reviewers[0].query_type == "MicrosoftGraph",
          "policies/adminConsentRequestPolicy: PUT of the SDK's model reads back", after)


async def device_registration_policy(client):
    """The device registration policy (issue 13, v1.0), written with PUT of the SDK's model. The
    SDK builds no update for it (Graph's metadata marks it not updatable; Microsoft's reference
    documents only PUT), so the SDK's model is serialised into a PUT request of its own."""
    builder = client.policies.device_registration_policy
    before = await builder.get()
    check(isinstance(before, DeviceRegistrationPolicy) and isinstance(before.user_device_quota, int)
          and isinstance(before.azure_a_d_join, AzureADJoinPolicy),
          "policies/deviceRegistrationPolicy: GET returns a DeviceRegistrationPolicy", before)
    check(not unknown_properties(before), "policies/deviceRegistrationPolicy: every property is one the SDK's models know",
          unknown_properties(before))
    policy = DeviceRegistrationPolicy(
        user_device_quota=2147483647,
        multi_factor_auth_configuration=MultiFactorAuthConfiguration.NotRequired,
        azure_a_d_registration=before.azure_a_d_registration,
        azure_a_d_join=AzureADJoinPolicy(
            is_admin_configurable=True,
            allowed_to_join=AllDeviceRegistrationMembership(),
            local_admins=LocalAdminSettings(enable_global_admins=False)),
        local_admin_password=LocalAdminPasswordSettings(is_enabled=True))
    request = RequestInformation(Method.PUT, builder.url_template, builder.path_parameters)
    request.headers.try_add("Accept", "application/json")
    request.set_content_from_parsable(client.request_adapter, "application/json", policy)
    answered = await client.request_adapter.send_async(
        request, DeviceRegistrationPolicy, {"XXX": ODataError})
    check(isinstance(answered, DeviceRegistrationPolicy) and answered.user_device_quota == 2147483647,
          "policies/deviceRegistrationPolicy: PUT of the SDK's model answers with the policy", answered)
    after = await builder.get()
    check(isinstance(after, DeviceRegistrationPolicy)
          and after.multi_factor_auth_configuration == MultiFactorAuthConfiguration.NotRequired
          and isinstance(after.azure_a_d_join.allowed_to_join, AllDeviceRegistrationMembership)
          and after.azure_a_d_join.local_admins is not None and after.azure_a_d_join.local_admins.enable_global_admins is False
          and after.local_admin_password.is_enabled is True,
          "policies/deviceRegistrationPolicy: PUT of the SDK's model reads back", after)


async def organization(client):
    """The tenant's organization (issue 13): listed into the SDK's models (a collection of
    exactly one), its technical contact PATCHed with the SDK's Organization model by the tenant
    id, the rest kept."""
    page = await client.organization.get()
    orgs = page.value or []
    check(len(orgs) == 1 and isinstance(orgs[0], Organization) and isinstance(orgs[0].verified_domains[0], VerifiedDomain),
          "organization: the tenant's one Organization, with its verified domains", page)
    check(not unknown_properties(orgs[0]), "organization: every property is one the SDK's models know",
          unknown_properties(orgs[0]))
    builder = client.organization.by_organization_id(orgs[0].id)
    await builder.patch(Organization(technical_notification_mails=["ict@example.gov.au"]))
    after = await builder.get()
    check(isinstance(after, Organization) and after.technical_notification_mails == ["ict@example.gov.au"]
          and [d.name for d in after.verified_domains] == [d.name for d in orgs[0].verified_domains],
          "organization: PATCH of the SDK's model reads back, the rest kept", after)
    return orgs[0].id


def default_branding():
    """A request for the default company branding: Graph answers the locale Accept-Language
    names, and requires the header (organizationalbranding-get, -update); 0 is the default."""
    config = RequestConfiguration()
    config.headers.add("Accept-Language", "0")
    return config


async def company_branding(client, organization_id):
    """The tenant's default company branding (issue 13), under its organization: read into the
    SDK's OrganizationalBranding, its sign-in text PATCHed with the SDK's model and read back,
    what the PATCH does not name kept."""
    builder = client.organization.by_organization_id(organization_id).branding
    before = await builder.get(default_branding())
    check(isinstance(before, OrganizationalBranding) and before.id == "0",
          "organization/{id}/branding: the default branding as the SDK's OrganizationalBranding", before)
    check(not unknown_properties(before), "organization/{id}/branding: every property is one the SDK's models know",
          unknown_properties(before))
    await builder.patch(OrganizationalBranding(sign_in_page_text="Authorised use only.",
                                               username_hint_text="user@examples.gov.au"), default_branding())
    after = await builder.get(default_branding())
    check(isinstance(after, OrganizationalBranding) and after.sign_in_page_text == "Authorised use only."
          and after.username_hint_text == "user@examples.gov.au" and after.background_color == before.background_color,
          "organization/{id}/branding: PATCH of the SDK's model reads back, the rest kept", after)


async def group_licences(client, run):
    """Group-based licensing (issue 13): the tenant's bought licences listed into the SDK's
    SubscribedSku, one given to a security group with a service plan left off through
    assignLicense's AssignLicensePostRequestBody, read back (Graph returns a group's licences
    only on $select) into the SDK's AssignedLicense, then taken away again."""
    skus = (await client.subscribed_skus.get()).value or []
    check(skus and isinstance(skus[0], SubscribedSku) and isinstance(skus[0].sku_id, uuid.UUID)
          and skus[0].service_plans, "subscribedSkus: the tenant's licences as the SDK's SubscribedSku", skus)
    sku = skus[0]
    plan = sku.service_plans[0].service_plan_id
    group = await client.groups.post(Group(display_name=f"sdk-compat-py {run} licensed", mail_enabled=False,
                                           mail_nickname=f"sdkcompatpy{run}lic", security_enabled=True))
    builder = client.groups.by_group_id(group.id)
    try:
        assigned = await builder.assign_license.post(AssignLicensePostRequestBody(
            add_licenses=[AssignedLicense(sku_id=sku.sku_id, disabled_plans=[plan])], remove_licenses=[]))
        check(isinstance(assigned, Group) and assigned.id == group.id, "assignLicense answers with the Group", assigned)
        query = GroupItemRequestBuilder.GroupItemRequestBuilderGetQueryParameters(
            select=["id", "displayName", "assignedLicenses"])
        got = await builder.get(RequestConfiguration(query_parameters=query))
        licences = got.assigned_licenses or []
        check(len(licences) == 1 and isinstance(licences[0], AssignedLicense) and licences[0].sku_id == sku.sku_id
              and licences[0].disabled_plans == [plan],
              "the group's assignedLicenses ($select) read back with the plan left off", licences)
        await builder.assign_license.post(AssignLicensePostRequestBody(add_licenses=[], remove_licenses=[sku.sku_id]))
        got = await builder.get(RequestConfiguration(query_parameters=query))
        check(not got.assigned_licenses, "removeLicenses takes the licence away", got.assigned_licenses)
    finally:
        await builder.delete()


async def b2b_management_policy(beta, run):
    """The B2B invitation allowlist (beta only, issue 13): the tenant's one B2B management policy,
    created with msgraph-beta-sdk's B2bManagementPolicy (its definition one JSON document as
    text, kept as given), listed, updated and read back, a second one refused, then deleted."""
    policies = beta.policies.b2b_management_policies

    def definition(*domains):
        return json.dumps({"B2BManagementPolicy": {"InvitationsAllowedAndBlockedDomainsPolicy": {
            "AllowedDomains": list(domains)}}}, separators=(",", ":"))

    created = await policies.post(B2bManagementPolicy(
        display_name="B2BManagementPolicy", description=f"sdk-compat-py {run}",
        definition=[definition("examples.gov.au")], is_organization_default=True))
    try:
        check(isinstance(created, B2bManagementPolicy) and created.id
              and created.definition == [definition("examples.gov.au")] and created.is_organization_default is True,
              "b2bManagementPolicies.post creates a B2bManagementPolicy", created)
        listed = (await policies.get()).value or []
        check(len(listed) == 1 and isinstance(listed[0], B2bManagementPolicy) and listed[0].id == created.id,
              "b2bManagementPolicies: the tenant's one policy, as the beta SDK's model", listed)
        check(not unknown_properties(listed[0]), "every property of the policy is one the beta SDK's model knows",
              unknown_properties(listed[0]))
        builder = policies.by_b2b_management_policy_id(created.id)
        await builder.patch(B2bManagementPolicy(definition=[definition("examples.gov.au", "partner.example")]))
        got = await builder.get()
        check(got.definition == [definition("examples.gov.au", "partner.example")]
              and got.display_name == "B2BManagementPolicy" and got.is_organization_default is True,
              "PATCH of the definition reads back, the rest kept", got)
        try:
            await policies.post(B2bManagementPolicy(display_name="second", description="second",
                                                    definition=[definition("examples.gov.au")]))
            raise CheckFailed("a second B2B management policy was created")
        except BetaODataError as err:
            check(err.response_status_code == 400, "a second policy: the beta SDK's ODataError 400 (one per organisation)",
                  err.response_status_code)
    finally:
        await policies.by_b2b_management_policy_id(created.id).delete()
    check(not (await policies.get()).value, "the policy is deleted")


async def domain_password_expiry(client):
    """A domain's password expiry (issue 13): the tenant's domains listed into the SDK's Domain
    model, the default one PATCHed by its name with the SDK's model."""
    page = await client.domains.get()
    default = next((d for d in page.value or [] if d.is_default), None)
    check(isinstance(default, Domain) and default.is_verified is True
          and isinstance(default.password_validity_period_in_days, int),
          "domains: the tenant's verified default Domain", page)
    check(not unknown_properties(default), "domains: every property is one the SDK's model knows",
          unknown_properties(default))
    builder = client.domains.by_domain_id(default.id)
    await builder.patch(Domain(password_validity_period_in_days=365, password_notification_window_in_days=14))
    after = await builder.get()
    check(isinstance(after, Domain) and after.password_validity_period_in_days == 365
          and after.password_notification_window_in_days == 14 and after.supported_services == default.supported_services,
          "domains: PATCH of the SDK's model reads back, the rest kept", after)
    # What Microsoft 365 asks the domain to publish (domain-list-serviceconfigurationrecords),
    # which evaluate compares the public DNS with: each record in its derived type's model.
    records = (await builder.service_configuration_records.get()).value or []
    mx = next((r for r in records if isinstance(r, DomainDnsMxRecord)), None)
    txt = next((r for r in records if isinstance(r, DomainDnsTxtRecord)), None)
    cname = next((r for r in records if isinstance(r, DomainDnsCnameRecord)), None)
    check(mx is not None and mx.record_type == "Mx" and mx.label == default.id
          and isinstance(mx.mail_exchange, str) and isinstance(mx.preference, int)
          and txt is not None and txt.text.startswith("v=spf1 ")
          and cname is not None and isinstance(cname.canonical_name, str),
          "domains: serviceConfigurationRecords in the SDK's MX, TXT and CNAME record models", records)
    check(not any(unknown_properties(r) for r in records),
          "domains: every record property is one the SDK's model knows",
          [unknown_properties(r) for r in records])


GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"


async def pim_role_settings(client):
    """PIM role settings (issue 13): a directory role's policy found through its assignment
    (the scope filter Graph requires, the policy and its rules expanded), read into the SDK's
    models, and one rule written with the SDK's own expiration rule model."""
    builder = client.policies.role_management_policy_assignments
    query = RoleManagementPolicyAssignmentsRequestBuilder.RoleManagementPolicyAssignmentsRequestBuilderGetQueryParameters(
        filter="scopeId eq '/' and scopeType eq 'DirectoryRole'", expand=["policy($expand=rules)"])
    page = await builder.get(request_configuration=RequestConfiguration(query_parameters=query))
    assignment = next((a for a in page.value or [] if a.role_definition_id == GLOBAL_ADMINISTRATOR), None)
    check(isinstance(assignment, UnifiedRoleManagementPolicyAssignment) and isinstance(assignment.policy, UnifiedRoleManagementPolicy),
          "policies/roleManagementPolicyAssignments: the Global Administrator's assignment, with its policy", assignment)
    check(not unknown_properties(assignment), "policies/roleManagementPolicyAssignments: every property is one the SDK's models know",
          unknown_properties(assignment))
    rules = {r.id: r for r in assignment.policy.rules or []}
    expiration = rules.get("Expiration_EndUser_Assignment")
    check(isinstance(expiration, UnifiedRoleManagementPolicyExpirationRule) and isinstance(expiration.maximum_duration, datetime.timedelta),
          "the policy's rules are the SDK's derived rule models", expiration)
    rule_builder = client.policies.role_management_policies.by_unified_role_management_policy_id(
        assignment.policy.id).rules.by_unified_role_management_policy_rule_id("Expiration_EndUser_Assignment")
    await rule_builder.patch(UnifiedRoleManagementPolicyExpirationRule(
        id="Expiration_EndUser_Assignment", is_expiration_required=True,
        # The SDK writes a timedelta as "10:00:00", which Graph refuses: see iso_duration.
        additional_data={"maximumDuration": iso_duration(datetime.timedelta(hours=10))},
        target=UnifiedRoleManagementPolicyRuleTarget(
            caller="EndUser", level="Assignment", operations=[UnifiedRoleManagementPolicyRuleTargetOperations.All])))
    after = await rule_builder.get()
    check(isinstance(after, UnifiedRoleManagementPolicyExpirationRule) and after.maximum_duration == datetime.timedelta(hours=10)
          and after.target is not None and after.target.caller == "EndUser",
          "PATCH of a rule with the SDK's model reads back", after)


async def device_configurations(client, run):
    """One object of each new Intune kind (issue 14), created and read with the SDK's models."""
    configurations = client.device_management.device_configurations
    custom = await configurations.post(Windows10CustomConfiguration(
        display_name=f"sdk-compat-py {run} custom",
        oma_settings=[
            OmaSettingInteger(
                display_name="Allow Telemetry", oma_uri="./Device/Vendor/MSFT/Policy/Config/System/AllowTelemetry", value=0),
            # Edm.Binary: the SDK writes and reads the XML's bytes as base64.
            OmaSettingStringXml(
                display_name="Policy XML", oma_uri="./Vendor/MSFT/Policy/Config/Example/PolicyXml",
                file_name="policy.xml", value=POLICY_XML),
        ],
    ))
    try:
        check(isinstance(custom, Windows10CustomConfiguration) and custom.id and custom.version == 1,
              "deviceConfigurations.post creates a Windows10CustomConfiguration", custom)
        got = await configurations.by_device_configuration_id(custom.id).get()
        setting = got.oma_settings[0] if isinstance(got, Windows10CustomConfiguration) and got.oma_settings else None
        check(isinstance(setting, OmaSettingInteger) and setting.value == 0,
              "GET reads it back with its OmaSettingInteger (the derived type)", got)
        xml = got.oma_settings[1] if len(got.oma_settings) == 2 else None
        check(isinstance(xml, OmaSettingStringXml) and xml.value == POLICY_XML and xml.file_name == "policy.xml",
              "GET reads the OmaSettingStringXml back, its value the XML's bytes", xml)
        check(not unknown_properties(got), "every property of the custom profile is one the SDK's model knows",
              unknown_properties(got))
    finally:
        await configurations.by_device_configuration_id(custom.id).delete()

    ring = await configurations.post(WindowsUpdateForBusinessConfiguration(
        display_name=f"sdk-compat-py {run} ring",
        quality_updates_deferral_period_in_days=7,
        installation_schedule=WindowsUpdateActiveHoursInstall(
            active_hours_start=datetime.time(8, 0), active_hours_end=datetime.time(17, 0)),
    ))
    try:
        check(isinstance(ring, WindowsUpdateForBusinessConfiguration) and ring.id,
              "deviceConfigurations.post creates a WindowsUpdateForBusinessConfiguration", ring)
        got = await configurations.by_device_configuration_id(ring.id).get()
        schedule = got.installation_schedule if isinstance(got, WindowsUpdateForBusinessConfiguration) else None
        check(got.quality_updates_deferral_period_in_days == 7 and isinstance(schedule, WindowsUpdateActiveHoursInstall)
              and schedule.active_hours_start == datetime.time(8, 0) and schedule.active_hours_end == datetime.time(17, 0),
              "GET reads the update ring back, its active hours as TimeOfDay", got)
        check(not unknown_properties(got), "every property of the update ring is one the SDK's model knows",
              unknown_properties(got))
    finally:
        await configurations.by_device_configuration_id(ring.id).delete()


async def profile_round_trip(client, what, profile, model, read_back):
    """Creates one device configuration profile written with msgraph-sdk's `model`, reads it
    back as that derived model (`read_back(got)` must hold, and every property must be one the
    model knows), and deletes it."""
    configurations = client.device_management.device_configurations
    created = await configurations.post(profile)
    try:
        check(isinstance(created, model) and created.id and created.version == 1,
              f"deviceConfigurations.post creates a {model.__name__} ({what})", created)
        got = await configurations.by_device_configuration_id(created.id).get()
        check(isinstance(got, model) and read_back(got), f"GET reads the {what} back as a {model.__name__}", got)
        check(not unknown_properties(got), f"every property of the {what} is one the SDK's model knows",
              unknown_properties(got))
    finally:
        await configurations.by_device_configuration_id(created.id).delete()


async def ios_update_policy(client, run):
    """The iOS update policy (issue 14): iosUpdateConfiguration's install days and active hours
    (Edm.TimeOfDay) as msgraph-sdk writes and reads them."""
    await profile_round_trip(
        client, "iOS update policy",
        IosUpdateConfiguration(
            display_name=f"sdk-compat-py {run} iOS updates",
            scheduled_install_days=[DayOfWeek.Saturday, DayOfWeek.Sunday],
            active_hours_start=datetime.time(1, 0), active_hours_end=datetime.time(5, 30),
            utc_time_offset_in_minutes=600),
        IosUpdateConfiguration,
        lambda p: p.scheduled_install_days == [DayOfWeek.Saturday, DayOfWeek.Sunday]
        and p.active_hours_start == datetime.time(1, 0) and p.active_hours_end == datetime.time(5, 30)
        and p.utc_time_offset_in_minutes == 600)


async def windows_device_restrictions(client, run):
    """Windows device restrictions (issue 14): windows10GeneralConfiguration with the ABAC's
    password and SmartScreen settings, an enum whose member is a keyword (`none`), a scan time
    (Edm.TimeOfDay) and two complex values (malware actions, the search engine's derived type)."""
    await profile_round_trip(
        client, "Windows device restrictions",
        Windows10GeneralConfiguration(
            display_name=f"sdk-compat-py {run} device restrictions",
            password_required=True, password_required_type=RequiredPasswordType.Alphanumeric,
            password_minimum_length=14, password_minimum_character_set_count=3,
            password_minutes_of_inactivity_before_screen_timeout=15,
            diagnostics_data_submission_mode=DiagnosticDataSubmissionMode.None_,
            smart_screen_block_prompt_override=True, windows_spotlight_blocked=True,
            defender_scheduled_scan_time=datetime.time(2, 0),
            defender_detected_malware_actions=DefenderDetectedMalwareActions(
                low_severity=DefenderThreatAction.Quarantine, moderate_severity=DefenderThreatAction.Quarantine,
                high_severity=DefenderThreatAction.Remove, severe_severity=DefenderThreatAction.Block),
            edge_search_engine=EdgeSearchEngine(edge_search_engine_type=EdgeSearchEngineType.Bing)),
        Windows10GeneralConfiguration,
        lambda p: p.password_required_type == RequiredPasswordType.Alphanumeric and p.password_minimum_length == 14
        and p.diagnostics_data_submission_mode == DiagnosticDataSubmissionMode.None_
        and p.defender_scheduled_scan_time == datetime.time(2, 0)
        and isinstance(p.defender_detected_malware_actions, DefenderDetectedMalwareActions)
        and p.defender_detected_malware_actions.severe_severity == DefenderThreatAction.Block
        and isinstance(p.edge_search_engine, EdgeSearchEngine)
        and p.edge_search_engine.edge_search_engine_type == EdgeSearchEngineType.Bing)


async def endpoint_protection(client, run):
    """Windows endpoint protection (issue 14): windows10EndpointProtectionConfiguration with a
    firewall profile and the removable drive policy (complex values), App Locker's enum and the
    exploit protection XML (Edm.Binary: bytes in the SDK, base64 on the wire)."""
    xml = b"<MitigationPolicy/>"
    await profile_round_trip(
        client, "endpoint protection profile",
        Windows10EndpointProtectionConfiguration(
            display_name=f"sdk-compat-py {run} endpoint protection",
            firewall_profile_domain=WindowsFirewallNetworkProfile(
                firewall_enabled=StateManagementSetting.Allowed, inbound_connections_blocked=True,
                stealth_mode_blocked=False),
            bit_locker_removable_drive_policy=BitLockerRemovableDrivePolicy(
                encryption_method=BitLockerEncryptionMethod.XtsAes256, require_encryption_for_write_access=True,
                block_cross_organization_write_access=False),
            app_locker_application_control=AppLockerApplicationControlType.AuditComponentsAndStoreApps,
            defender_exploit_protection_xml=xml, defender_exploit_protection_xml_file_name="exploit.xml",
            smart_screen_enable_in_shell=True),
        Windows10EndpointProtectionConfiguration,
        lambda p: isinstance(p.firewall_profile_domain, WindowsFirewallNetworkProfile)
        and p.firewall_profile_domain.firewall_enabled == StateManagementSetting.Allowed
        and p.firewall_profile_domain.inbound_connections_blocked is True
        and isinstance(p.bit_locker_removable_drive_policy, BitLockerRemovableDrivePolicy)
        and p.bit_locker_removable_drive_policy.encryption_method == BitLockerEncryptionMethod.XtsAes256
        and p.app_locker_application_control == AppLockerApplicationControlType.AuditComponentsAndStoreApps
        and p.defender_exploit_protection_xml == xml)


async def ios_device_restrictions(client, run):
    """iOS device restrictions (issue 14): iosGeneralDeviceConfiguration with the ABAC's passcode
    settings, the approved apps (a collection of appListItem) and a content rating (complex)."""
    await profile_round_trip(
        client, "iOS device restrictions",
        IosGeneralDeviceConfiguration(
            display_name=f"sdk-compat-py {run} iOS restrictions",
            passcode_required=True, passcode_minimum_length=14, passcode_sign_in_failure_count_before_wipe=11,
            passcode_minutes_of_inactivity_before_screen_timeout=2,
            safari_cookie_settings=WebBrowserCookieSettings.BlockAlways,
            compliant_app_list_type=AppListType.AppsInListCompliant,
            compliant_apps_list=[AppListItem(
                name="Microsoft Word", publisher="Microsoft Corporation",
                app_store_url="https://apps.apple.com/us/app/microsoft-word/id586447913",
                app_id="com.microsoft.Office.Word")],
            media_content_rating_australia=MediaContentRatingAustralia(
                movie_rating=RatingAustraliaMoviesType.Mature, tv_rating=RatingAustraliaTelevisionType.Mature)),
        IosGeneralDeviceConfiguration,
        lambda p: p.passcode_minimum_length == 14 and p.safari_cookie_settings == WebBrowserCookieSettings.BlockAlways
        and p.compliant_app_list_type == AppListType.AppsInListCompliant
        and len(p.compliant_apps_list or []) == 1 and isinstance(p.compliant_apps_list[0], AppListItem)
        and p.compliant_apps_list[0].app_id == "com.microsoft.Office.Word"
        and isinstance(p.media_content_rating_australia, MediaContentRatingAustralia)
        and p.media_content_rating_australia.movie_rating == RatingAustraliaMoviesType.Mature)


async def ios_device_features(client, run):
    """iOS device features (issue 14): iosDeviceFeaturesConfiguration with the ABAC's lock screen
    footnote and a notification setting (a complex collection with its alert type enum)."""
    await profile_round_trip(
        client, "iOS device features",
        IosDeviceFeaturesConfiguration(
            display_name=f"sdk-compat-py {run} iOS device features",
            lock_screen_footnote="If lost return to the agency",
            notification_settings=[IosNotificationSettings(
                bundle_i_d="com.microsoft.Office.Outlook", app_name="Outlook",
                alert_type=IosNotificationAlertType.Banner, enabled=True, show_on_lock_screen=False)]),
        IosDeviceFeaturesConfiguration,
        lambda p: p.lock_screen_footnote == "If lost return to the agency"
        and len(p.notification_settings or []) == 1
        and isinstance(p.notification_settings[0], IosNotificationSettings)
        and p.notification_settings[0].alert_type == IosNotificationAlertType.Banner
        and p.notification_settings[0].show_on_lock_screen is False)


async def sharepoint_settings(client):
    """SharePoint's tenant settings (sharepointSettings): read as msgraph-sdk's model (no id, as
    in sharepointsettings-get's example), sharing and the idle session sign-out (a complex value)
    PATCHed with it and read back, the rest kept, then put back."""
    builder = client.admin.sharepoint.settings
    before = await builder.get()
    check(isinstance(before, SharepointSettings) and isinstance(before.idle_session_sign_out, IdleSessionSignOut),
          "admin/sharepoint/settings: GET returns a SharepointSettings", before)
    check(not unknown_properties(before), "admin/sharepoint/settings: every property is one the SDK's model knows",
          unknown_properties(before))
    await builder.patch(SharepointSettings(
        sharing_capability=SharingCapabilities.ExistingExternalUserSharingOnly,
        idle_session_sign_out=IdleSessionSignOut(is_enabled=True, warn_after_in_seconds=3300, sign_out_after_in_seconds=3600)))
    after = await builder.get()
    check(isinstance(after, SharepointSettings)
          and after.sharing_capability == SharingCapabilities.ExistingExternalUserSharingOnly
          and after.idle_session_sign_out.sign_out_after_in_seconds == 3600
          and after.is_site_creation_enabled == before.is_site_creation_enabled,
          "admin/sharepoint/settings: PATCH of the SDK's model reads back, the rest kept", after)
    await builder.patch(SharepointSettings(sharing_capability=before.sharing_capability,
                                           idle_session_sign_out=before.idle_session_sign_out))


async def terms_of_use_agreement(client, run):
    """A terms of use agreement (agreement): created with msgraph-sdk's models, its PDF as
    AgreementFileData bytes (Edm.Binary); read back with its durations as timedeltas, and
    deleted. The SDK's own writing of a timedelta is refused, as Graph refuses it (see
    iso_duration), so the durations are written in Graph's form."""
    agreements = client.identity_governance.terms_of_use.agreements

    def agreement(reaccept, expiry):
        return Agreement(
            display_name=f"sdk-compat-py {run} terms of use",
            is_viewing_before_acceptance_required=True, is_per_device_acceptance_required=False,
            terms_expiration=TermsExpiration(
                start_date_time=datetime.datetime(2027, 1, 1, tzinfo=datetime.timezone.utc), **expiry),
            files=[AgreementFileLocalization(
                file_name="terms.pdf", display_name="Terms of use", language="en-AU", is_default=True,
                file_data=AgreementFileData(data=b"%PDF-1.4\n%sdk-compat\n"))],
            **reaccept)

    year, half = datetime.timedelta(days=365), datetime.timedelta(days=180)
    try:
        await agreements.post(agreement({"user_reaccept_required_frequency": year}, {"frequency": half}))
        raise CheckFailed("the SDK's '365 days, 0:00:00' was taken as an Edm.Duration")
    except ODataError as err:
        check(err.response_status_code == 400 and "Edm.Duration" in (err.error.message or ""),
              "the SDK's str(timedelta) is refused as Graph refuses it (msgraph-sdk-python#1262)",
              err.error and err.error.message)
    created = await agreements.post(agreement(
        {"additional_data": {"userReacceptRequiredFrequency": iso_duration(year)}},
        {"additional_data": {"frequency": iso_duration(half)}}))
    try:
        check(isinstance(created, Agreement) and created.id, "termsOfUse.agreements.post creates an Agreement", created)
        got = await agreements.by_agreement_id(created.id).get()
        check(isinstance(got, Agreement) and got.is_viewing_before_acceptance_required is True
              and got.user_reaccept_required_frequency == year
              and isinstance(got.terms_expiration, TermsExpiration) and got.terms_expiration.frequency == half,
              "GET reads the Agreement back with its durations as timedeltas", got)
        check(not unknown_properties(got), "every property of the agreement is one the SDK's model knows",
              unknown_properties(got))
    finally:
        await agreements.by_agreement_id(created.id).delete()


GROUP_UNIFIED_TEMPLATE = "62375ab9-6b52-47ed-826b-58e47e0e304b"


async def group_setting(client):
    """A directory setting for Microsoft 365 groups (groupSetting, template Group.Unified):
    created with msgraph-sdk's GroupSetting and SettingValue models, read back with the
    template's other values, one value PATCHed, and deleted."""
    settings = client.group_settings
    created = await settings.post(GroupSetting(
        template_id=GROUP_UNIFIED_TEMPLATE,
        values=[SettingValue(name="EnableMIPLabels", value="true"), SettingValue(name="AllowGuestsToAccessGroups", value="false")]))
    try:
        check(isinstance(created, GroupSetting) and created.id and created.display_name == "Group.Unified",
              "groupSettings.post creates a GroupSetting from the Group.Unified template", created)
        item = settings.by_group_setting_id(created.id)
        got = await item.get()
        values = {v.name: v.value for v in got.values or [] if isinstance(v, SettingValue)}
        check(values.get("EnableMIPLabels") == "true" and values.get("AllowGuestsToAccessGroups") == "false"
              and len(values) > 2,
              "GET reads the setting's values back as SettingValue, the template's others included", got)
        check(not unknown_properties(got), "every property of the group setting is one the SDK's model knows",
              unknown_properties(got))
        await item.patch(GroupSetting(values=[SettingValue(name=n, value=("false" if n == "EnableMIPLabels" else v))
                                              for n, v in values.items()]))
        got = await item.get()
        check({v.name: v.value for v in got.values}.get("EnableMIPLabels") == "false",
              "PATCH of the setting's values with the SDK's model reads back", got)
    finally:
        await settings.by_group_setting_id(created.id).delete()


async def group_lifecycle_policy(client):
    """The tenant's group expiration policy (groupLifecyclePolicy): created with msgraph-sdk's
    model, read back, PATCHed and deleted."""
    policies = client.group_lifecycle_policies
    created = await policies.post(GroupLifecyclePolicy(
        group_lifetime_in_days=180, managed_group_types="All", alternate_notification_emails="ict@example.gov.au"))
    try:
        check(isinstance(created, GroupLifecyclePolicy) and created.id and created.group_lifetime_in_days == 180,
              "groupLifecyclePolicies.post creates a GroupLifecyclePolicy", created)
        item = policies.by_group_lifecycle_policy_id(created.id)
        await item.patch(GroupLifecyclePolicy(group_lifetime_in_days=365))
        got = await item.get()
        check(isinstance(got, GroupLifecyclePolicy) and got.group_lifetime_in_days == 365
              and got.managed_group_types == "All" and got.alternate_notification_emails == "ict@example.gov.au",
              "PATCH of the lifetime with the SDK's model reads back, the rest kept", got)
        check(not unknown_properties(got), "every property of the lifecycle policy is one the SDK's model knows",
              unknown_properties(got))
    finally:
        await policies.by_group_lifecycle_policy_id(created.id).delete()


async def named_locations(client, run):
    """Conditional Access named locations (namedLocation): an IP range and a country list
    created with msgraph-sdk's derived models, read back as them, and deleted."""
    locations = client.identity.conditional_access.named_locations
    office = await locations.post(IpNamedLocation(
        display_name=f"sdk-compat-py {run} office", is_trusted=True,
        ip_ranges=[IPv4CidrRange(cidr_address="203.0.113.0/24")]))
    countries = await locations.post(CountryNamedLocation(
        display_name=f"sdk-compat-py {run} Australia", countries_and_regions=["AU"],
        include_unknown_countries_and_regions=False))
    try:
        got = await locations.by_named_location_id(office.id).get()
        check(isinstance(got, IpNamedLocation) and got.is_trusted is True and isinstance(got.ip_ranges[0], IPv4CidrRange)
              and got.ip_ranges[0].cidr_address == "203.0.113.0/24",
              "namedLocations: the IP location reads back as IpNamedLocation with an IPv4CidrRange", got)
        got_countries = await locations.by_named_location_id(countries.id).get()
        check(isinstance(got_countries, CountryNamedLocation) and got_countries.countries_and_regions == ["AU"],
              "namedLocations: the country location reads back as CountryNamedLocation", got_countries)
        check(not unknown_properties([got, got_countries]), "namedLocations: every property is one the SDK's models know",
              unknown_properties([got, got_countries]))
    finally:
        await locations.by_named_location_id(office.id).delete()
        await locations.by_named_location_id(countries.id).delete()


async def conditional_access_policy(client, run):
    """A Conditional Access policy (conditionalAccessPolicy), report-only, with a grant control
    and a sign-in frequency session control: written with msgraph-sdk's models, read back into
    them, and deleted."""
    policies = client.identity.conditional_access.policies
    created = await policies.post(ConditionalAccessPolicy(
        display_name=f"sdk-compat-py {run} require MFA",
        state=ConditionalAccessPolicyState.EnabledForReportingButNotEnforced,
        conditions=ConditionalAccessConditionSet(
            users=ConditionalAccessUsers(include_users=["All"], exclude_users=[]),
            applications=ConditionalAccessApplications(include_applications=["All"]),
            client_app_types=[ConditionalAccessClientApp.All]),
        grant_controls=ConditionalAccessGrantControls(operator="OR", built_in_controls=[ConditionalAccessGrantControl.Mfa]),
        session_controls=ConditionalAccessSessionControls(sign_in_frequency=SignInFrequencySessionControl(
            is_enabled=True, type=SigninFrequencyType.Hours, value=12))))
    try:
        check(isinstance(created, ConditionalAccessPolicy) and created.id, "conditionalAccess.policies.post creates a policy", created)
        got = await policies.by_conditional_access_policy_id(created.id).get()
        check(isinstance(got, ConditionalAccessPolicy)
              and got.state == ConditionalAccessPolicyState.EnabledForReportingButNotEnforced
              and got.grant_controls.built_in_controls == [ConditionalAccessGrantControl.Mfa]
              and got.conditions.client_app_types == [ConditionalAccessClientApp.All]
              and got.session_controls.sign_in_frequency.type == SigninFrequencyType.Hours
              and got.session_controls.sign_in_frequency.value == 12,
              "GET reads the policy back with its conditions, grant and session controls", got)
        check(not unknown_properties(got), "every property of the Conditional Access policy is one the SDK's models know",
              unknown_properties(got))
    finally:
        await policies.by_conditional_access_policy_id(created.id).delete()


async def authorization_policy(client):
    """The tenant's authorization policy (authorizationPolicy): read as msgraph-sdk's model, who
    may invite guests and the default user role's permissions PATCHed with it and read back,
    then put back."""
    builder = client.policies.authorization_policy
    before = await builder.get()
    check(isinstance(before, AuthorizationPolicy) and isinstance(before.default_user_role_permissions, DefaultUserRolePermissions),
          "policies/authorizationPolicy: GET returns an AuthorizationPolicy", before)
    check(not unknown_properties(before), "policies/authorizationPolicy: every property is one the SDK's model knows",
          unknown_properties(before))
    await builder.patch(AuthorizationPolicy(
        allow_invites_from=AllowInvitesFrom.AdminsAndGuestInviters,
        default_user_role_permissions=DefaultUserRolePermissions(allowed_to_create_apps=False)))
    after = await builder.get()
    check(after.allow_invites_from == AllowInvitesFrom.AdminsAndGuestInviters
          and after.default_user_role_permissions.allowed_to_create_apps is False
          and after.default_user_role_permissions.allowed_to_read_other_users
          == before.default_user_role_permissions.allowed_to_read_other_users,
          "policies/authorizationPolicy: PATCH of the SDK's model reads back, the rest kept", after)
    await builder.patch(AuthorizationPolicy(
        allow_invites_from=before.allow_invites_from,
        default_user_role_permissions=DefaultUserRolePermissions(
            allowed_to_create_apps=before.default_user_role_permissions.allowed_to_create_apps)))


async def user_account(client, run, domain):
    """A user (user), as the catalogue's break-glass accounts are made: created with msgraph-sdk's
    User and PasswordProfile models (a password made for this run, never read back), read back
    into the model, and deleted."""
    users = client.users
    created = await users.post(User(
        account_enabled=False, display_name=f"sdk-compat-py {run} break glass",
        mail_nickname=f"sdkcompatpy{run}", user_principal_name=f"sdkcompatpy{run}@{domain}", usage_location="AU",
        password_profile=PasswordProfile(force_change_password_next_sign_in=False,
                                         password=f"{uuid.uuid4().hex}Aa1!")))
    try:
        check(isinstance(created, User) and created.id, "users.post creates a User", created)
        got = await users.by_user_id(created.id).get()
        check(isinstance(got, User) and got.user_principal_name == f"sdkcompatpy{run}@{domain}"
              and got.password_profile is None,
              "GET reads the User back, its password never returned", got)
        check(not unknown_properties(got), "every property of the user is one the SDK's model knows", unknown_properties(got))
    finally:
        await users.by_user_id(created.id).delete()


async def ios_compliance_policy(client, run):
    """An iOS compliance policy through v1.0 (deviceCompliancePolicy, as the catalogue's iOS
    policy is), written with msgraph-sdk's model and read back into it."""
    policies = client.device_management.device_compliance_policies
    block = DeviceComplianceScheduledActionForRule(rule_name="PasswordRequired", scheduled_action_configurations=[
        DeviceComplianceActionItem(action_type=DeviceComplianceActionType.Block, grace_period_hours=0,
                                   notification_template_id="", notification_message_c_c_list=[])])
    created = await policies.post(IosCompliancePolicy(
        display_name=f"sdk-compat-py {run} iOS v1.0", passcode_required=True, passcode_minimum_length=6,
        passcode_required_type=V1RequiredPasswordType.Numeric, security_block_jailbroken_devices=True,
        os_minimum_version="17.0", scheduled_actions_for_rule=[block]))
    try:
        got = await policies.by_device_compliance_policy_id(created.id).get()
        check(isinstance(got, IosCompliancePolicy) and got.passcode_required_type == V1RequiredPasswordType.Numeric
              and got.security_block_jailbroken_devices is True and got.os_minimum_version == "17.0",
              "deviceCompliancePolicies: an IosCompliancePolicy reads back through v1.0", got)
        check(not unknown_properties(got), "every property of the iOS compliance policy is one the SDK's model knows",
              unknown_properties(got))
    finally:
        await policies.by_device_compliance_policy_id(created.id).delete()


async def mobile_apps(client, run):
    """Intune apps (issue 14): a web link and Edge for Windows created with the SDK's models, read
    back as their derived types, and assigned with an install intent through `assign`, whose
    parameter is `mobileAppAssignments`."""
    apps = client.device_app_management.mobile_apps
    link = await apps.post(WebApp(
        display_name=f"sdk-compat-py {run} portal", publisher="Microsoft",
        app_url="https://portal.manage.microsoft.com/", is_featured=True))
    edge = None
    try:
        check(isinstance(link, WebApp) and link.id and link.publishing_state is not None,
              "mobileApps.post creates a WebApp, published", link)
        got = await apps.by_mobile_app_id(link.id).get()
        check(isinstance(got, WebApp) and got.app_url == "https://portal.manage.microsoft.com/"
              and got.is_featured is True and got.use_managed_browser is False,
              "GET reads the WebApp back with its URL, featured, no managed browser", got)
        check(not unknown_properties(got), "every property of the web app is one the SDK's model knows",
              unknown_properties(got))
        edge = await apps.post(WindowsMicrosoftEdgeApp(
            display_name=f"sdk-compat-py {run} edge", publisher="Microsoft", channel=MicrosoftEdgeChannel.Stable))
        got = await apps.by_mobile_app_id(edge.id).get()
        check(isinstance(got, WindowsMicrosoftEdgeApp) and got.channel == MicrosoftEdgeChannel.Stable,
              "GET reads Edge for Windows back as a WindowsMicrosoftEdgeApp on the stable channel", got)
        await apps.by_mobile_app_id(link.id).assign.post(MobileAppAssignPostRequestBody(
            mobile_app_assignments=[MobileAppAssignment(intent=InstallIntent.Required, target=AllDevicesAssignmentTarget())]))
        assigned = await apps.by_mobile_app_id(link.id).assignments.get()
        first = assigned.value[0] if assigned and assigned.value else None
        check(isinstance(first, MobileAppAssignment) and first.intent == InstallIntent.Required
              and isinstance(first.target, AllDevicesAssignmentTarget),
              "assign sets a required assignment that reads back as a MobileAppAssignment", assigned)
    finally:
        await apps.by_mobile_app_id(link.id).delete()
        if edge is not None:
            await apps.by_mobile_app_id(edge.id).delete()


async def vpp_apps(client):
    """iOS VPP apps (issue 14): the tenant's synced VPP token and the apps it brought read with
    the SDK's models (`VppToken`, `IosVppApp`: a VPP app is never created by a client), one
    featured through PATCH and assigned with a device licence (`IosVppAppAssignmentSettings`),
    then put back as it was."""
    tokens = await client.device_app_management.vpp_tokens.get()
    token = tokens.value[0] if tokens and tokens.value else None
    check(isinstance(token, VppToken) and token.state == VppTokenState.Valid,
          "vppTokens.get reads the synced token as a valid VppToken", tokens)
    check(not unknown_properties(token), "every property of the VPP token is one the SDK's model knows",
          unknown_properties(token))
    apps = client.device_app_management.mobile_apps
    listed = await apps.get()
    vpp = [a for a in (listed.value or []) if isinstance(a, IosVppApp)]
    word = next((a for a in vpp if a.bundle_id == "com.microsoft.Office.Word"), None)
    check(len(vpp) == 10 and word is not None and word.is_featured is False
          and word.licensing_type is not None and word.licensing_type.supports_device_licensing is True,
          "mobileApps.get lists the ten synced apps as IosVppApp, Word among them, not featured", vpp)
    check(not unknown_properties(word), "every property of the VPP app is one the SDK's model knows",
          unknown_properties(word))
    item = apps.by_mobile_app_id(word.id)
    try:
        await item.patch(IosVppApp(is_featured=True))
        got = await item.get()
        check(isinstance(got, IosVppApp) and got.is_featured is True
              and got.bundle_id == "com.microsoft.Office.Word",
              "PATCH features the IosVppApp, its bundle id unchanged", got)
        await item.assign.post(MobileAppAssignPostRequestBody(mobile_app_assignments=[MobileAppAssignment(
            intent=InstallIntent.Required, target=AllDevicesAssignmentTarget(),
            settings=IosVppAppAssignmentSettings(use_device_licensing=True))]))
        assigned = await item.assignments.get()
        first = assigned.value[0] if assigned and assigned.value else None
        check(isinstance(first, MobileAppAssignment) and first.intent == InstallIntent.Required
              and isinstance(first.settings, IosVppAppAssignmentSettings)
              and first.settings.use_device_licensing is True,
              "assign sets a required assignment whose settings read back as IosVppAppAssignmentSettings",
              assigned)
    finally:
        await item.assign.post(MobileAppAssignPostRequestBody(mobile_app_assignments=[]))
        await item.patch(IosVppApp(is_featured=False))


async def microsoft_365_apps(client, beta, run):
    """Microsoft 365 Apps for Windows (beta only, issue 14): an officeSuiteApp created with
    msgraph-beta-sdk's model, read back with its suite configuration (the architecture a flags
    enum), left out of v1.0's list, and assigned through `assign`'s mobileAppAssignments."""
    apps = beta.device_app_management.mobile_apps
    created = await apps.post(OfficeSuiteApp(
        display_name=f"sdk-compat-py {run} Microsoft 365 Apps", publisher="Microsoft",
        product_ids=[OfficeProductId.O365ProPlusRetail],
        excluded_apps=ExcludedApps(one_note=True, bing=True, excel=False),
        office_platform_architecture=WindowsArchitecture.X64,
        update_channel=OfficeUpdateChannel.MonthlyEnterprise,
        use_shared_computer_activation=True, auto_accept_eula=True, locales_to_install=[]))
    try:
        check(isinstance(created, OfficeSuiteApp) and created.id,
              "beta mobileApps.post creates an OfficeSuiteApp", created)
        item = apps.by_mobile_app_id(created.id)
        got = await item.get()
        check(isinstance(got, OfficeSuiteApp) and got.update_channel == OfficeUpdateChannel.MonthlyEnterprise
              and got.office_platform_architecture == [WindowsArchitecture.X64]
              and got.product_ids == [OfficeProductId.O365ProPlusRetail]
              and got.excluded_apps is not None and got.excluded_apps.one_note is True
              and got.use_shared_computer_activation is True,
              "GET reads the OfficeSuiteApp back with its channel, architecture, product and excluded apps", got)
        check(not unknown_properties(got), "every property of the suite is one the beta SDK's model knows",
              unknown_properties(got))
        listed = await client.device_app_management.mobile_apps.get()
        check(all(a.id != created.id for a in (listed.value or [])),
              "v1.0's mobileApps list leaves the beta-only suite out", listed)
        await item.assign.post(BetaMobileAppAssignPostRequestBody(mobile_app_assignments=[BetaMobileAppAssignment(
            intent=BetaInstallIntent.Required, target=BetaAllDevicesAssignmentTarget())]))
        assigned = await item.assignments.get()
        first = assigned.value[0] if assigned and assigned.value else None
        check(isinstance(first, BetaMobileAppAssignment) and first.intent == BetaInstallIntent.Required
              and isinstance(first.target, BetaAllDevicesAssignmentTarget),
              "assign sets the suite's required all-devices assignment", assigned)
        after = await item.get()
        check(after.is_assigned is True and after.role_scope_tag_ids == ["0"] and after.upload_state == 1
              and after.dependent_app_count == 0,
              "the suite reads back assigned, with the Default scope tag and beta's read-only states", after)
    finally:
        await apps.by_mobile_app_id(created.id).delete()


async def delivery_optimisation(beta, run):
    """Delivery Optimisation (beta only, issue 14): windowsDeliveryOptimizationConfiguration with
    the ABAC's download mode, its bandwidth and cache size abstract complex values given by their
    derived types (percentages), created, read back and deleted with msgraph-beta-sdk's models."""
    configurations = beta.device_management.device_configurations
    created = await configurations.post(WindowsDeliveryOptimizationConfiguration(
        display_name=f"sdk-compat-py {run} Delivery Optimisation",
        delivery_optimization_mode=WindowsDeliveryOptimizationMode.HttpWithPeeringNat,
        bandwidth_mode=DeliveryOptimizationBandwidthPercentage(
            maximum_foreground_bandwidth_percentage=70, maximum_background_bandwidth_percentage=25),
        maximum_cache_size=DeliveryOptimizationMaxCacheSizePercentage(maximum_cache_size_percentage=20),
        background_download_from_http_delay_in_seconds=60, minimum_ram_allowed_to_peer_in_gigabytes=4))
    try:
        check(isinstance(created, WindowsDeliveryOptimizationConfiguration) and created.id,
              "beta deviceConfigurations.post creates a WindowsDeliveryOptimizationConfiguration", created)
        got = await configurations.by_device_configuration_id(created.id).get()
        check(isinstance(got, WindowsDeliveryOptimizationConfiguration)
              and got.delivery_optimization_mode == WindowsDeliveryOptimizationMode.HttpWithPeeringNat
              and isinstance(got.bandwidth_mode, DeliveryOptimizationBandwidthPercentage)
              and got.bandwidth_mode.maximum_foreground_bandwidth_percentage == 70
              and isinstance(got.maximum_cache_size, DeliveryOptimizationMaxCacheSizePercentage)
              and got.maximum_cache_size.maximum_cache_size_percentage == 20
              and got.background_download_from_http_delay_in_seconds == 60,
              "GET reads the Delivery Optimisation profile back with its derived bandwidth and cache size", got)
        check(not unknown_properties(got), "every property of the profile is one the beta SDK's model knows",
              unknown_properties(got))
    finally:
        await configurations.by_device_configuration_id(created.id).delete()


async def network_boundary(beta, run):
    """Network Boundary (beta only, issue 14): windows10NetworkBoundaryConfiguration with its
    isolation policy's cloud resources (proxiedDomain, one with a proxy) and IP ranges, derived
    types of the abstract ipRange, created, read back and deleted with msgraph-beta-sdk's models."""
    configurations = beta.device_management.device_configurations
    created = await configurations.post(Windows10NetworkBoundaryConfiguration(
        display_name=f"sdk-compat-py {run} Network Boundary",
        windows_network_isolation_policy=WindowsNetworkIsolationPolicy(
            enterprise_cloud_resources=[ProxiedDomain(ip_address_or_f_q_d_n="sharepoint.com"),
                                        ProxiedDomain(ip_address_or_f_q_d_n="teams.microsoft.com", proxy="proxy.example.gov.au:8080")],
            enterprise_i_p_ranges=[IPv4Range(lower_address="10.0.0.1", upper_address="10.0.255.254"),
                                   IPv6CidrRange(cidr_address="2001:db8::/32")],
            enterprise_i_p_ranges_are_authoritative=True,
            enterprise_network_domain_names=["corp.example.gov.au"])))
    try:
        check(isinstance(created, Windows10NetworkBoundaryConfiguration) and created.id,
              "beta deviceConfigurations.post creates a Windows10NetworkBoundaryConfiguration", created)
        got = await configurations.by_device_configuration_id(created.id).get()
        policy = got.windows_network_isolation_policy if isinstance(got, Windows10NetworkBoundaryConfiguration) else None
        ranges = (policy.enterprise_i_p_ranges or []) if policy else []
        check(policy is not None
              and [d.ip_address_or_f_q_d_n for d in policy.enterprise_cloud_resources] == ["sharepoint.com", "teams.microsoft.com"]
              and policy.enterprise_cloud_resources[1].proxy == "proxy.example.gov.au:8080"
              and len(ranges) == 2 and isinstance(ranges[0], IPv4Range) and ranges[0].upper_address == "10.0.255.254"
              and isinstance(ranges[1], IPv6CidrRange) and ranges[1].cidr_address == "2001:db8::/32"
              and policy.enterprise_i_p_ranges_are_authoritative is True,
              "GET reads the Network Boundary profile back with its cloud resources and derived IP ranges", got)
        check(not unknown_properties(got), "every property of the Network Boundary profile is one the beta SDK's model knows",
              unknown_properties(got))
    finally:
        await configurations.by_device_configuration_id(created.id).delete()


async def ios_app_protection(client, run):
    """The iOS app protection policy (v1.0, issue 14): iosManagedAppProtection written with
    msgraph-sdk's model (durations as Graph's Edm.Duration, see iso_duration), its apps set through
    `targetApps`, read with `$expand=apps` and at `{id}/apps`, and assigned through `assign`.
    msgraph-sdk 1.65 builds no request for the two actions on iosManagedAppProtections (v1.0's
    metadata binds them to targetedManagedAppProtection, the base type, and the generated item
    builder offers only apps, assignments and deploymentSummary), so each is a RequestInformation
    at the action's path carrying the SDK's own parameter model (TargetAppsPostRequestBody and
    AssignPostRequestBody of targetedManagedAppConfigurations, the same parameters)."""
    policies = client.device_app_management.ios_managed_app_protections
    created = await policies.post(IosManagedAppProtection(
        display_name=f"sdk-compat-py {run} iOS app protection", description="App management for Apple",
        data_backup_blocked=True, save_as_blocked=True,
        allowed_outbound_data_transfer_destinations=ManagedAppDataTransferLevel.ManagedApps,
        allowed_inbound_data_transfer_sources=ManagedAppDataTransferLevel.ManagedApps,
        allowed_outbound_clipboard_sharing_level=ManagedAppClipboardSharingLevel.ManagedAppsWithPasteIn,
        allowed_data_storage_locations=[ManagedAppDataStorageLocation.OneDriveForBusiness, ManagedAppDataStorageLocation.SharePoint],
        app_data_encryption_type=ManagedAppDataEncryptionType.WhenDeviceLocked,
        managed_browser_to_open_links_required=True, managed_browser=ManagedBrowserType.MicrosoftEdge,
        pin_required=True, pin_character_set=ManagedAppPinCharacterSet.Numeric, minimum_pin_length=4,
        maximum_pin_retries=5, minimum_required_os_version="12.0",
        additional_data={
            "periodBeforePinReset": iso_duration(datetime.timedelta(days=365)),
            "periodOnlineBeforeAccessCheck": iso_duration(datetime.timedelta(minutes=30)),
            "periodOfflineBeforeAccessCheck": iso_duration(datetime.timedelta(hours=12)),
            "periodOfflineBeforeWipeIsEnforced": iso_duration(datetime.timedelta(days=90)),
        }))
    group = await client.groups.post(Group(display_name=f"sdk-compat-py {run} app protection users", mail_enabled=False,
                                            mail_nickname=f"sdkcompatpyapp{run}", security_enabled=True))
    item = policies.by_ios_managed_app_protection_id(created.id)
    try:
        check(isinstance(created, IosManagedAppProtection) and created.id and created.is_assigned is False,
              "iosManagedAppProtections.post creates an IosManagedAppProtection, unassigned", created)
        got = await item.get()
        check(isinstance(got, IosManagedAppProtection)
              and got.period_online_before_access_check == datetime.timedelta(minutes=30)
              and got.period_before_pin_reset == datetime.timedelta(days=365)
              and got.app_data_encryption_type == ManagedAppDataEncryptionType.WhenDeviceLocked
              and got.allowed_data_storage_locations == [ManagedAppDataStorageLocation.OneDriveForBusiness,
                                                         ManagedAppDataStorageLocation.SharePoint]
              and got.managed_browser == [ManagedBrowserType.MicrosoftEdge]
              and got.apps is None,
              "GET reads the policy back with its durations and enums, its apps only when expanded", got)
        check(not unknown_properties(got), "every property of the app protection policy is one the SDK's model knows",
              unknown_properties(got))
        patched = await item.patch(IosManagedAppProtection(print_blocked=True, contact_sync_blocked=True))
        check(isinstance(patched, IosManagedAppProtection) and patched.print_blocked is True
              and patched.contact_sync_blocked is True
              and patched.period_online_before_access_check == datetime.timedelta(minutes=30),
              "PATCH with the SDK's model answers with the IosManagedAppProtection, its other settings kept", patched)

        def action(name, body):
            request = RequestInformation(
                Method.POST, "{+baseurl}/deviceAppManagement/iosManagedAppProtections/{iosManagedAppProtection%2Did}/" + name,
                item.path_parameters)
            request.set_content_from_parsable(client.request_adapter, "application/json", body)
            return client.request_adapter.send_no_response_content_async(request, {"XXX": ODataError})

        await action("targetApps", TargetAppsPostRequestBody(
            app_group_type=TargetedManagedAppGroupType.SelectedPublicApps,
            apps=[ManagedMobileApp(mobile_app_identifier=IosMobileAppIdentifier(bundle_id=b))
                  for b in ("com.microsoft.office.outlook", "com.microsoft.skype.teams")]))
        query = IosManagedAppProtectionItemRequestBuilder.IosManagedAppProtectionItemRequestBuilderGetQueryParameters(expand=["apps"])
        expanded = await item.get(RequestConfiguration(query_parameters=query))
        bundles = [a.mobile_app_identifier.bundle_id for a in (expanded.apps or [])
                   if isinstance(a, ManagedMobileApp) and isinstance(a.mobile_app_identifier, IosMobileAppIdentifier)]
        check(bundles == ["com.microsoft.office.outlook", "com.microsoft.skype.teams"],
              "targetApps with the SDK's ManagedMobileApp sets the apps, read with $expand=apps as IosMobileAppIdentifiers",
              expanded.apps)
        check(not unknown_properties(expanded), "every property of the expanded policy is one the SDK's model knows",
              unknown_properties(expanded))
        apps = await item.apps.get()
        check(apps is not None and len(apps.value) == 2 and all(a.id and a.version for a in apps.value),
              "apps.get lists the two ManagedMobileApps with their ids and versions", apps)

        await action("assign", TargetedAssignPostRequestBody(assignments=[
            TargetedManagedAppPolicyAssignment(target=GroupAssignmentTarget(group_id=group.id))]))
        assigned = await item.assignments.get()
        first = assigned.value[0] if assigned and assigned.value else None
        after = await item.get()
        check(isinstance(first, TargetedManagedAppPolicyAssignment) and isinstance(first.target, GroupAssignmentTarget)
              and first.target.group_id == group.id and after.is_assigned is True,
              "assign sets the group assignment, read back as a TargetedManagedAppPolicyAssignment; the policy is assigned",
              assigned)
    finally:
        await item.delete()
        await client.groups.by_group_id(group.id).delete()


async def ios_app_protection_beta(client, beta, run):
    """The iOS app protection policy's settings only beta has (issue 14): a policy made through
    v1.0, beta's exempted URL protocols, cut-and-copy limit, third-party keyboards, notification
    restriction and PIN-retries action PATCHed onto it with msgraph-beta-sdk's model and read back
    through beta; v1.0 still reads it into msgraph-sdk's model."""
    created = await client.device_app_management.ios_managed_app_protections.post(
        IosManagedAppProtection(display_name=f"sdk-compat-py {run} iOS beta settings"))
    item = beta.device_app_management.ios_managed_app_protections.by_ios_managed_app_protection_id(created.id)
    try:
        await item.patch(BetaIosManagedAppProtection(
            exempted_app_protocols=[KeyValuePair(name="Apple Maps", value="maps"),
                                    KeyValuePair(name="Google Maps", value="comgooglemaps")],
            allowed_outbound_clipboard_sharing_exception_length=0, third_party_keyboards_blocked=True,
            notification_restriction=ManagedAppNotificationRestriction.BlockOrganizationalData,
            app_action_if_maximum_pin_retries_exceeded=ManagedAppRemediationAction.Block))
        got = await item.get()
        check(isinstance(got, BetaIosManagedAppProtection)
              and [(p.name, p.value) for p in got.exempted_app_protocols] == [("Apple Maps", "maps"), ("Google Maps", "comgooglemaps")]
              and got.allowed_outbound_clipboard_sharing_exception_length == 0 and got.third_party_keyboards_blocked is True
              and got.notification_restriction == ManagedAppNotificationRestriction.BlockOrganizationalData
              and got.app_action_if_maximum_pin_retries_exceeded == ManagedAppRemediationAction.Block,
              "beta's settings PATCHed with the beta SDK's model read back through beta", got)
        check(not unknown_properties(got), "every property of the beta policy is one the beta SDK's model knows",
              unknown_properties(got))
        v1 = await client.device_app_management.ios_managed_app_protections.by_ios_managed_app_protection_id(created.id).get()
        check(isinstance(v1, IosManagedAppProtection) and not unknown_properties(v1),
              "v1.0 still reads the policy into msgraph-sdk's model, without beta's settings", unknown_properties(v1))
    finally:
        await client.device_app_management.ios_managed_app_protections.by_ios_managed_app_protection_id(created.id).delete()


async def administrative_template(beta, run):
    """An administrative template (groupPolicyConfiguration, beta only, issue 14): Edge's
    definitions listed by class and category path and their presentations read into
    msgraph-beta-sdk's models; a drop-down and a list box value added through
    updateDefinitionValues with the SDK's GroupPolicyDefinitionValue (definitions and
    presentations bound by @odata.bind in additional_data: the model's `definition` is the
    navigation property itself), read back expanded, one updated by id and the other deleted,
    then the configuration assigned. msgraph-beta-sdk 1.66's GroupPolicyPresentationValue* models
    leave `odata_type` None (where its derived complex types, IPv4Range for one, default it), so a
    presentation value would go without @odata.type, as the parameter's base type
    groupPolicyPresentationValue, which has no `value`: each sets its own type."""
    definitions = beta.device_management.group_policy_definitions
    query = GroupPolicyDefinitionsRequestBuilder.GroupPolicyDefinitionsRequestBuilderGetQueryParameters(
        filter="classType eq 'machine' and categoryPath eq '\\Microsoft Edge'")
    listed = await definitions.get(RequestConfiguration(query_parameters=query))
    by_name = {d.display_name: d for d in listed.value}
    dev_tools = by_name.get("Control where developer tools can be used")
    block_list = by_name.get("Block access to a list of URLs")
    check(dev_tools is not None and block_list is not None
          and all(d.class_type == GroupPolicyDefinitionClassType.Machine and d.category_path == "\\Microsoft Edge"
                  and d.policy_type == GroupPolicyType.AdmxBacked for d in listed.value),
          "groupPolicyDefinitions.get($filter classType and categoryPath) returns GroupPolicyDefinitions of that path",
          sorted(by_name))
    check(not unknown_properties(listed.value), "every property of the definitions is one the beta SDK's model knows",
          unknown_properties(listed.value))
    dropdown = (await definitions.by_group_policy_definition_id(dev_tools.id).presentations.get()).value[0]
    list_box = (await definitions.by_group_policy_definition_id(block_list.id).presentations.get()).value[0]
    check(isinstance(dropdown, GroupPolicyPresentationDropdownList) and any(i.value == "2" for i in dropdown.items)
          and isinstance(list_box, GroupPolicyPresentationListBox),
          "presentations.get reads a GroupPolicyPresentationDropdownList with its items and a GroupPolicyPresentationListBox",
          [dropdown, list_box])

    configurations = beta.device_management.group_policy_configurations
    created = await configurations.post(GroupPolicyConfiguration(
        display_name=f"sdk-compat-py {run} Edge", description="Administrative template"))
    item = configurations.by_group_policy_configuration_id(created.id)
    bind = "https://graph.microsoft.com/beta/deviceManagement/groupPolicyDefinitions('{}')"
    try:
        check(isinstance(created, GroupPolicyConfiguration) and created.id and created.role_scope_tag_ids == ["0"],
              "groupPolicyConfigurations.post creates a GroupPolicyConfiguration with the Default scope tag", created)
        renamed = await item.patch(GroupPolicyConfiguration(description="Edge hardening"))
        check(isinstance(renamed, GroupPolicyConfiguration) and renamed.description == "Edge hardening"
              and renamed.display_name == created.display_name,
              "PATCH with the beta SDK's model answers with the GroupPolicyConfiguration", renamed)
        await item.update_definition_values.post(UpdateDefinitionValuesPostRequestBody(added=[
            GroupPolicyDefinitionValue(enabled=True, additional_data={"definition@odata.bind": bind.format(dev_tools.id)},
                                       presentation_values=[GroupPolicyPresentationValueText(
                                           odata_type="#microsoft.graph.groupPolicyPresentationValueText", value="2", additional_data={
                                           "presentation@odata.bind": bind.format(dev_tools.id) + f"/presentations('{dropdown.id}')"})]),
            GroupPolicyDefinitionValue(enabled=True, additional_data={"definition@odata.bind": bind.format(block_list.id)},
                                       presentation_values=[GroupPolicyPresentationValueList(
                                           odata_type="#microsoft.graph.groupPolicyPresentationValueList", values=[
                                           KeyValuePair(name="javascript://*"), KeyValuePair(name="file://*")], additional_data={
                                           "presentation@odata.bind": bind.format(block_list.id) + f"/presentations('{list_box.id}')"})]),
        ], updated=[], deleted_ids=[]))
        query = GroupPolicyConfigurationItemRequestBuilder.GroupPolicyConfigurationItemRequestBuilderGetQueryParameters(
            expand=["definitionValues($expand=definition,presentationValues($expand=presentation))"])
        got = await item.get(RequestConfiguration(query_parameters=query))
        values = {v.definition.id: v for v in (got.definition_values or []) if v.definition}
        dev_value, list_value = values.get(dev_tools.id), values.get(block_list.id)
        check(len(values) == 2 and dev_value.enabled is True
              and isinstance(dev_value.presentation_values[0], GroupPolicyPresentationValueText)
              and dev_value.presentation_values[0].value == "2"
              and isinstance(dev_value.presentation_values[0].presentation, GroupPolicyPresentationDropdownList)
              and isinstance(list_value.presentation_values[0], GroupPolicyPresentationValueList)
              and [p.name for p in list_value.presentation_values[0].values] == ["javascript://*", "file://*"],
              "GET with definitionValues expanded reads the values back with their definitions and presentations", got)
        check(not unknown_properties(got), "every property of the expanded template is one the beta SDK's model knows",
              unknown_properties(got))
        await item.update_definition_values.post(UpdateDefinitionValuesPostRequestBody(
            added=[], updated=[GroupPolicyDefinitionValue(id=dev_value.id, enabled=False)], deleted_ids=[list_value.id]))
        left = await item.definition_values.get()
        check(left is not None and len(left.value) == 1 and left.value[0].id == dev_value.id and left.value[0].enabled is False,
              "updateDefinitionValues updates one value by its id and deletes the other", left)
        answer = await item.assign.post(GroupPolicyAssignPostRequestBody(assignments=[
            GroupPolicyConfigurationAssignment(target=BetaAllDevicesAssignmentTarget())]))
        check(answer is not None and len(answer.value) == 1 and isinstance(answer.value[0], GroupPolicyConfigurationAssignment)
              and isinstance(answer.value[0].target, BetaAllDevicesAssignmentTarget)
              and isinstance(answer.value[0].last_modified_date_time, datetime.datetime),
              "assign answers with the GroupPolicyConfigurationAssignment and its write time", answer)
    finally:
        await item.delete()


async def profile_beta_settings(client, beta, run):
    """The device restrictions and endpoint protection settings only beta has (issue 14): profiles
    created with msgraph-sdk's v1.0 models take them through msgraph-beta-sdk's models of the same
    objects, which read them back whole (every property one the beta model knows); v1.0 keeps
    its own shape."""
    configurations = client.device_management.device_configurations
    for v1_model, beta_patch, read_back in [
        (Windows10EndpointProtectionConfiguration(
            display_name=f"sdk-compat-py {run} endpoint protection", smart_screen_enable_in_shell=True),
         BetaWindows10EndpointProtectionConfiguration(
            local_security_options_guest_account_name="Blueprint_guest",
            local_security_options_information_shown_on_lock_screen=(
                LocalSecurityOptionsInformationShownOnLockScreenType.UserDisplayNameOnly),
            lan_manager_authentication_level=LanManagerAuthenticationLevel.LmAndNtlmV2,
            xbox_services_live_game_save_service_startup_mode=ServiceStartType.Disabled),
         lambda got: (got.smart_screen_enable_in_shell is True
                      and got.local_security_options_guest_account_name == "Blueprint_guest"
                      and got.lan_manager_authentication_level == LanManagerAuthenticationLevel.LmAndNtlmV2
                      and got.xbox_services_live_game_save_service_startup_mode == ServiceStartType.Disabled)),
        (Windows10GeneralConfiguration(
            display_name=f"sdk-compat-py {run} device restrictions", password_minimum_length=14),
         BetaWindows10GeneralConfiguration(
            search_block_web_results=True, power_hybrid_sleep_plugged_in=BetaEnablement.Disabled,
            authentication_preferred_azure_a_d_tenant_domain_name="example.gov.au"),
         lambda got: (got.password_minimum_length == 14 and got.search_block_web_results is True
                      and got.power_hybrid_sleep_plugged_in == BetaEnablement.Disabled)),
    ]:
        created = await configurations.post(v1_model)
        try:
            item = beta.device_management.device_configurations.by_device_configuration_id(created.id)
            await item.patch(beta_patch)
            got = await item.get()
            check(isinstance(got, type(beta_patch)) and read_back(got),
                  f"beta: PATCH of {type(beta_patch).__name__}'s beta-only settings reads back on the v1.0 profile",
                  got)
            check(not unknown_properties(got), "beta: every property of the profile is one the beta SDK's model knows",
                  unknown_properties(got))
            v1 = await configurations.by_device_configuration_id(created.id).get()
            check(isinstance(v1, type(v1_model)) and not unknown_properties(v1),
                  "v1.0: the profile reads without beta's settings", unknown_properties(v1))
        finally:
            await configurations.by_device_configuration_id(created.id).delete()


async def assigned_one_at_a_time(what, assignments, by_id, assignment):
    """A profile Graph assigns one assignment at a time (no `assign`): `assignment`, the SDK's
    model, POSTed to its assignments, listed, then removed with DELETE."""
    added = await assignments.post(assignment)
    check(isinstance(added, type(assignment)) and added.id and isinstance(added.target, type(assignment.target)),
          f"POST assignments creates the {what}'s assignment", added)
    listed = await assignments.get()
    check(listed is not None and [a.id for a in listed.value or []] == [added.id],
          f"GET assignments lists the {what}'s one assignment", listed)
    await by_id(added.id).delete()
    left = await assignments.get()
    check(left is not None and not left.value, f"DELETE removes the {what}'s assignment", left)


async def autopilot_profile(beta, run):
    """The Windows Autopilot deployment profile (beta only, issue 14): a Microsoft Entra joined
    profile created with msgraph-beta-sdk's model and its current out-of-box settings, assigned
    with one POST to its assignments and unassigned with DELETE (no `assign` with groups)."""
    profiles = beta.device_management.windows_autopilot_deployment_profiles
    created = await profiles.post(AzureADWindowsAutopilotDeploymentProfile(
        display_name=f"sdk-compat-py {run} Autopilot", description="Devices enrolled via Autopilot",
        locale="en-AU", device_name_template="SDK-%SERIAL%", preprovisioning_allowed=True,
        out_of_box_experience_setting=OutOfBoxExperienceSetting(
            device_usage_type=WindowsDeviceUsageType.SingleUser, user_type=WindowsUserType.Standard,
            eula_hidden=True, privacy_settings_hidden=True, escape_link_hidden=True,
            keyboard_selection_page_skipped=True),
        enrollment_status_screen_settings=WindowsEnrollmentStatusScreenSettings(
            hide_installation_progress=False, install_progress_timeout_in_minutes=60)))
    try:
        check(isinstance(created, AzureADWindowsAutopilotDeploymentProfile) and created.id,
              "windowsAutopilotDeploymentProfiles.post creates an AzureADWindowsAutopilotDeploymentProfile", created)
        item = profiles.by_windows_autopilot_deployment_profile_id(created.id)
        got = await item.get()
        check(isinstance(got, AzureADWindowsAutopilotDeploymentProfile)
              and got.out_of_box_experience_setting is not None
              and got.out_of_box_experience_setting.user_type == WindowsUserType.Standard
              and got.locale == "en-AU" and got.preprovisioning_allowed is True
              and isinstance(got.enrollment_status_screen_settings, WindowsEnrollmentStatusScreenSettings)
              and got.enrollment_status_screen_settings.install_progress_timeout_in_minutes == 60,
              "GET reads the profile back with its out-of-box settings", got)
        check(not unknown_properties(got), "every property of the profile is one the beta SDK's model knows",
              unknown_properties(got))
        await assigned_one_at_a_time(
            "Autopilot profile", item.assignments, item.assignments.by_windows_autopilot_deployment_profile_assignment_id,
            WindowsAutopilotDeploymentProfileAssignment(target=BetaAllDevicesAssignmentTarget()))
    finally:
        await profiles.by_windows_autopilot_deployment_profile_id(created.id).delete()


async def dep_profile(beta, run):
    """The Apple enrolment (DEP) profile (beta only, issue 14), which Graph has only under the
    Apple enrolment program token: the tenant's token read with msgraph-beta-sdk's model, a
    depIOSEnrollmentProfile created under it with the SDK's model, read back and deleted."""
    tokens = await beta.device_management.dep_onboarding_settings.get()
    check(tokens is not None and len(tokens.value or []) == 1
          and isinstance(tokens.value[0], DepOnboardingSetting)
          and tokens.value[0].token_type == DepTokenType.Dep,
          "depOnboardingSettings.get lists the tenant's one Apple enrolment program token", tokens)
    check(not unknown_properties(tokens.value[0]),
          "every property of the token is one the beta SDK's model knows", unknown_properties(tokens.value[0]))
    profiles = beta.device_management.dep_onboarding_settings.by_dep_onboarding_setting_id(
        tokens.value[0].id).enrollment_profiles
    created = await profiles.post(DepIOSEnrollmentProfile(
        display_name=f"sdk-compat-py {run} DEP profile", requires_user_authentication=True,
        enable_authentication_via_company_portal=True, supervised_mode_enabled=True,
        profile_removal_disabled=True, enable_shared_i_pad=False,
        i_tunes_pairing_mode=ITunesPairingMode.Disallow, device_name_template="{SERIAL}-{DEVICETYPE}",
        support_department="Example Agency", pass_code_disabled=True, update_complete_screen_disabled=True))
    try:
        check(isinstance(created, DepIOSEnrollmentProfile) and created.id,
              "enrollmentProfiles.post creates a DepIOSEnrollmentProfile", created)
        got = await profiles.by_enrollment_profile_id(created.id).get()
        check(isinstance(got, DepIOSEnrollmentProfile)
              and got.i_tunes_pairing_mode == ITunesPairingMode.Disallow
              and got.supervised_mode_enabled is True and got.enable_shared_i_pad is False
              and got.device_name_template == "{SERIAL}-{DEVICETYPE}"
              and got.update_complete_screen_disabled is True,
              "GET reads the profile back with its settings", got)
        check(not unknown_properties(got), "every property of the profile is one the beta SDK's model knows",
              unknown_properties(got))
    finally:
        await profiles.by_enrollment_profile_id(created.id).delete()


async def apple_enrolment_type_profile(beta, run):
    """The Apple enrolment type profile (appleUserInitiatedEnrollmentProfile, beta only, issue 14):
    iOS device enrolment created with msgraph-beta-sdk's model, read back into it, assigned with
    one POST to its assignments (appleEnrollmentProfileAssignment) and unassigned with DELETE."""
    profiles = beta.device_management.apple_user_initiated_enrollment_profiles
    created = await profiles.post(AppleUserInitiatedEnrollmentProfile(
        display_name=f"sdk-compat-py {run} enrolment type", platform=DevicePlatformType.IOS,
        default_enrollment_type=AppleUserInitiatedEnrollmentType.Device,
        available_enrollment_type_options=[AppleOwnerTypeEnrollmentType(
            owner_type=ManagedDeviceOwnerType.Company, enrollment_type=AppleUserInitiatedEnrollmentType.Device)]))
    try:
        check(isinstance(created, AppleUserInitiatedEnrollmentProfile) and created.id,
              "appleUserInitiatedEnrollmentProfiles.post creates an AppleUserInitiatedEnrollmentProfile", created)
        item = profiles.by_apple_user_initiated_enrollment_profile_id(created.id)
        got = await item.get()
        options = (got.available_enrollment_type_options or []) if got else []
        check(isinstance(got, AppleUserInitiatedEnrollmentProfile)
              and got.platform == DevicePlatformType.IOS
              and got.default_enrollment_type == AppleUserInitiatedEnrollmentType.Device
              and len(options) == 1 and options[0].owner_type == ManagedDeviceOwnerType.Company
              and isinstance(got.priority, int) and got.created_date_time is not None,
              "GET reads the enrolment type profile back with its enrolment options", got)
        check(not unknown_properties(got), "every property of the enrolment type profile is one the beta SDK's model knows",
              unknown_properties(got))
        await assigned_one_at_a_time(
            "enrolment type profile", item.assignments, item.assignments.by_apple_enrollment_profile_assignment_id,
            AppleEnrollmentProfileAssignment(target=AllLicensedUsersAssignmentTarget()))
    finally:
        await profiles.by_apple_user_initiated_enrollment_profile_id(created.id).delete()


async def platform_restriction(beta, run):
    """One platform's device restriction (deviceEnrollmentPlatformRestrictionConfiguration, beta
    only, issue 14) as intune-device-platform-restrictions creates it: created with
    msgraph-beta-sdk's model, read back into it, assigned to all users with the beta assign
    action's request body (enrollmentConfigurationAssignments) and its assignments read back."""
    configurations = beta.device_management.device_enrollment_configurations
    created = await configurations.post(DeviceEnrollmentPlatformRestrictionConfiguration(
        display_name=f"sdk-compat-py {run} restriction", platform_type=EnrollmentRestrictionPlatformType.Windows,
        platform_restriction=DeviceEnrollmentPlatformRestriction(
            platform_blocked=False, personal_device_enrollment_blocked=True, os_minimum_version="10.0.19043.0")))
    try:
        check(isinstance(created, DeviceEnrollmentPlatformRestrictionConfiguration) and created.id,
              "deviceEnrollmentConfigurations.post creates a DeviceEnrollmentPlatformRestrictionConfiguration", created)
        item = configurations.by_device_enrollment_configuration_id(created.id)
        got = await item.get()
        restriction = got.platform_restriction if got else None
        check(isinstance(got, DeviceEnrollmentPlatformRestrictionConfiguration)
              and got.platform_type == EnrollmentRestrictionPlatformType.Windows
              and isinstance(restriction, DeviceEnrollmentPlatformRestriction)
              and restriction.platform_blocked is False and restriction.personal_device_enrollment_blocked is True
              and restriction.os_minimum_version == "10.0.19043.0"
              and isinstance(got.priority, int) and got.priority >= 1,
              "GET reads the platform restriction back with its platform and settings", got)
        check(not unknown_properties(got), "every property of the platform restriction is one the beta SDK's model knows",
              unknown_properties(got))
        await item.assign.post(EnrollmentConfigurationAssignBody(enrollment_configuration_assignments=[
            EnrollmentConfigurationAssignment(target=AllLicensedUsersAssignmentTarget())]))
        listed = await item.assignments.get()
        assignments = (listed.value or []) if listed else []
        check(len(assignments) == 1 and isinstance(assignments[0], EnrollmentConfigurationAssignment)
              and isinstance(assignments[0].target, AllLicensedUsersAssignmentTarget),
              "the assignment posted with the beta SDK's model is listed", listed)
        check(not unknown_properties(listed), "every property of the assignments is one the beta SDK's model knows",
              unknown_properties(listed))
    finally:
        await configurations.by_device_enrollment_configuration_id(created.id).delete()


async def ios_vpn_profile(beta, run):
    """The iOS Per App VPN profile (iosVpnConfiguration, beta only, issue 14): the catalogue's
    settings created with msgraph-beta-sdk's model, its server a vpnServer, read back and
    deleted."""
    configurations = beta.device_management.device_configurations
    created = await configurations.post(IosVpnConfiguration(
        display_name=f"sdk-compat-py {run} Per App VPN", connection_name="PerApp VPN",
        connection_type=AppleVpnConnectionType.CiscoAnyConnectV2,
        server=VpnServer(address="vpn.example.gov.au", description="PerApp VPN", is_default_server=True),
        authentication_method=VpnAuthenticationMethod.UsernameAndPassword,
        enable_split_tunneling=False, enable_per_app=True, disable_on_demand_user_override=True))
    try:
        check(isinstance(created, IosVpnConfiguration) and created.id,
              "beta deviceConfigurations.post creates an IosVpnConfiguration", created)
        got = await configurations.by_device_configuration_id(created.id).get()
        check(isinstance(got, IosVpnConfiguration)
              and got.connection_type == AppleVpnConnectionType.CiscoAnyConnectV2
              and isinstance(got.server, VpnServer) and got.server.address == "vpn.example.gov.au"
              and got.server.is_default_server is True
              and got.authentication_method == VpnAuthenticationMethod.UsernameAndPassword
              and got.enable_split_tunneling is False and got.enable_per_app is True
              and got.disable_on_demand_user_override is True,
              "GET reads the Per App VPN profile back with its server", got)
        check(not unknown_properties(got), "every property of the VPN profile is one the beta SDK's model knows",
              unknown_properties(got))
    finally:
        await configurations.by_device_configuration_id(created.id).delete()


async def settings_catalog(beta, run):
    """A settings catalog policy (endpoint security antivirus, issue 14), created, read with its
    settings expanded and assigned with the beta SDK's own models."""
    policies = beta.device_management.configuration_policies
    cloud = "device_vendor_msft_policy_config_defender_allowcloudprotection"
    timeout = "device_vendor_msft_policy_config_defender_cloudextendedtimeout"
    policy = await policies.post(DeviceManagementConfigurationPolicy(
        name=f"sdk-compat-py {run} antivirus",
        platforms=DeviceManagementConfigurationPlatforms.Windows10,
        technologies=DeviceManagementConfigurationTechnologies.Mdm,
        template_reference=DeviceManagementConfigurationPolicyTemplateReference(
            template_id="804339ad-1553-4478-a742-138fb5807418_1"),
        settings=[
            DeviceManagementConfigurationSetting(setting_instance=DeviceManagementConfigurationChoiceSettingInstance(
                setting_definition_id=cloud,
                choice_setting_value=DeviceManagementConfigurationChoiceSettingValue(value=f"{cloud}_1", children=[]))),
            DeviceManagementConfigurationSetting(setting_instance=DeviceManagementConfigurationSimpleSettingInstance(
                setting_definition_id=timeout,
                simple_setting_value=DeviceManagementConfigurationIntegerSettingValue(value=50))),
        ],
    ))
    item = policies.by_device_management_configuration_policy_id(policy.id)
    try:
        check(isinstance(policy, DeviceManagementConfigurationPolicy) and policy.id and policy.setting_count == 2,
              "configurationPolicies.post creates a DeviceManagementConfigurationPolicy with 2 settings", policy)
        query = DeviceManagementConfigurationPolicyItemRequestBuilder.DeviceManagementConfigurationPolicyItemRequestBuilderGetQueryParameters(
            expand=["settings"])
        got = await item.get(request_configuration=RequestConfiguration(query_parameters=query))
        check(got.template_reference is not None
              and got.template_reference.template_family == DeviceManagementConfigurationTemplateFamily.EndpointSecurityAntivirus,
              "GET reads the template reference back with the template's family", got.template_reference)
        instances = [s.setting_instance for s in got.settings or []]
        choice = next((i for i in instances if i.setting_definition_id == cloud), None)
        simple = next((i for i in instances if i.setting_definition_id == timeout), None)
        check(isinstance(choice, DeviceManagementConfigurationChoiceSettingInstance)
              and choice.choice_setting_value.value == f"{cloud}_1",
              "GET $expand=settings reads the choice setting as a ChoiceSettingInstance", instances)
        check(isinstance(simple, DeviceManagementConfigurationSimpleSettingInstance)
              and isinstance(simple.simple_setting_value, DeviceManagementConfigurationIntegerSettingValue)
              and simple.simple_setting_value.value == 50,
              "GET $expand=settings reads the integer setting as an IntegerSettingValue", instances)
        check(not unknown_properties(got), "every property of the policy is one the SDK's model knows",
              unknown_properties(got))
        await item.assign.post(BetaAssignPostRequestBody(assignments=[
            DeviceManagementConfigurationPolicyAssignment(target=BetaAllDevicesAssignmentTarget())]))
        assigned = await item.assignments.get()
        check(assigned.value and isinstance(assigned.value[0].target, BetaAllDevicesAssignmentTarget),
              "assign, then GET assignments reads the all-devices assignment", assigned.value)
        try:
            await policies.post(DeviceManagementConfigurationPolicy(
                name=f"sdk-compat-py {run} unknown setting",
                platforms=DeviceManagementConfigurationPlatforms.Windows10,
                technologies=DeviceManagementConfigurationTechnologies.Mdm,
                settings=[DeviceManagementConfigurationSetting(
                    setting_instance=DeviceManagementConfigurationChoiceSettingInstance(
                        setting_definition_id="device_vendor_msft_not_a_setting",
                        choice_setting_value=DeviceManagementConfigurationChoiceSettingValue(value="x", children=[])))],
            ))
            raise CheckFailed("a setting with an unknown definition id was accepted")
        except BetaODataError as err:
            check(err.response_status_code == 400, "a setting with an unknown definition id is refused (400)",
                  err.response_status_code)
    finally:
        await item.delete()


async def firewall_rules_policy(beta, run):
    """A Windows Firewall Rules policy (the firewall rules import, issue 14) written with the beta
    SDK's own models: the rules a group collection, a rule's profiles a choice collection and its
    ports a string collection, read back with its settings expanded."""
    policies = beta.device_management.configuration_policies
    rule = "vendor_msft_firewall_mdmstore_firewallrules_{firewallrulename}"
    policy = await policies.post(DeviceManagementConfigurationPolicy(
        name=f"sdk-compat-py {run} firewall rules 0",
        platforms=DeviceManagementConfigurationPlatforms.Windows10,
        technologies=DeviceManagementConfigurationTechnologies.Mdm,
        template_reference=DeviceManagementConfigurationPolicyTemplateReference(
            template_id="19c8aa67-f286-4861-9aa0-f23541d31680_1"),
        settings=[DeviceManagementConfigurationSetting(
            setting_instance=DeviceManagementConfigurationGroupSettingCollectionInstance(
                setting_definition_id=rule,
                group_setting_collection_value=[DeviceManagementConfigurationGroupSettingValue(children=[
                    DeviceManagementConfigurationSimpleSettingInstance(
                        setting_definition_id=f"{rule}_name",
                        simple_setting_value=DeviceManagementConfigurationStringSettingValue(value="Allow DNS")),
                    DeviceManagementConfigurationChoiceSettingInstance(
                        setting_definition_id=f"{rule}_action_type",
                        choice_setting_value=DeviceManagementConfigurationChoiceSettingValue(
                            value=f"{rule}_action_type_1", children=[])),
                    DeviceManagementConfigurationChoiceSettingCollectionInstance(
                        setting_definition_id=f"{rule}_profiles",
                        choice_setting_collection_value=[
                            DeviceManagementConfigurationChoiceSettingValue(value=f"{rule}_profiles_{p}", children=[])
                            for p in ("1", "2")]),
                    DeviceManagementConfigurationSimpleSettingCollectionInstance(
                        setting_definition_id=f"{rule}_remoteportranges",
                        simple_setting_collection_value=[DeviceManagementConfigurationStringSettingValue(value="53")]),
                ])]))],
    ))
    item = policies.by_device_management_configuration_policy_id(policy.id)
    try:
        query = DeviceManagementConfigurationPolicyItemRequestBuilder.DeviceManagementConfigurationPolicyItemRequestBuilderGetQueryParameters(
            expand=["settings"])
        got = await item.get(request_configuration=RequestConfiguration(query_parameters=query))
        group = got.settings[0].setting_instance if got.settings else None
        check(isinstance(group, DeviceManagementConfigurationGroupSettingCollectionInstance)
              and len(group.group_setting_collection_value or []) == 1,
              "GET $expand=settings reads the rules as a GroupSettingCollectionInstance", got.settings)
        children = {c.setting_definition_id: c for c in group.group_setting_collection_value[0].children or []}
        profiles = children.get(f"{rule}_profiles")
        ports = children.get(f"{rule}_remoteportranges")
        check(isinstance(profiles, DeviceManagementConfigurationChoiceSettingCollectionInstance)
              and [v.value for v in profiles.choice_setting_collection_value] == [f"{rule}_profiles_1", f"{rule}_profiles_2"]
              and isinstance(ports, DeviceManagementConfigurationSimpleSettingCollectionInstance)
              and ports.simple_setting_collection_value[0].value == "53",
              "a rule's profiles read as a ChoiceSettingCollectionInstance and its ports as strings", children)
        check(not unknown_properties(got), "every property of the rules policy is one the SDK's model knows",
              unknown_properties(got))
    finally:
        await item.delete()


async def device_management_scripts(beta, run):
    """Intune's PowerShell scripts (beta only, issue 14): created with msgraph-beta-sdk's model,
    the content bytes sent and read back as base64 (Edm.Binary) by id, left out of the list, and
    assigned through `assign`'s deviceManagementScriptAssignments."""
    scripts = beta.device_management.device_management_scripts
    content = b"Write-Output 'sdk-compat'\n"
    created = await scripts.post(DeviceManagementScript(
        display_name=f"sdk-compat-py {run} script", file_name="sdk-compat.ps1", script_content=content,
        run_as_account=RunAsAccountType.System, enforce_signature_check=False, run_as32_bit=False))
    try:
        check(isinstance(created, DeviceManagementScript) and created.id,
              "deviceManagementScripts.post creates a DeviceManagementScript", created)
        got = await scripts.by_device_management_script_id(created.id).get()
        check(got.script_content == content and got.run_as_account == RunAsAccountType.System,
              "GET by id reads the script's bytes back, run as system", got)
        check(not unknown_properties(got), "every property of the script is one the beta SDK's model knows",
              unknown_properties(got))
        listed = await scripts.get()
        mine = [x for x in (listed.value or []) if x.id == created.id]
        check(len(mine) == 1 and mine[0].script_content is None,
              "the list returns the script without its content", mine)
        await scripts.by_device_management_script_id(created.id).assign.post(ScriptAssignPostRequestBody(
            device_management_script_assignments=[DeviceManagementScriptAssignment(target=BetaAllDevicesAssignmentTarget())]))
        assigned = await scripts.by_device_management_script_id(created.id).assignments.get()
        check(assigned.value and isinstance(assigned.value[0], DeviceManagementScriptAssignment)
              and isinstance(assigned.value[0].target, BetaAllDevicesAssignmentTarget),
              "assign sets the script's all-devices assignment", assigned)
    finally:
        await scripts.by_device_management_script_id(created.id).delete()


async def compliance_beta_settings(client, beta, run):
    """The compliance settings only beta has (issue 14): a policy created with msgraph-sdk's v1.0
    models takes them through msgraph-beta-sdk's models of the same object, which read it back
    whole; v1.0 keeps its own shape. The tenant's enhanced jailbreak detection likewise."""
    block = DeviceComplianceScheduledActionForRule(rule_name="PasswordRequired", scheduled_action_configurations=[
        DeviceComplianceActionItem(action_type=DeviceComplianceActionType.Block, grace_period_hours=24,
                                   notification_template_id="", notification_message_c_c_list=[])])
    policies = client.device_management.device_compliance_policies
    created = await policies.post(Windows10CompliancePolicy(
        display_name=f"sdk-compat-py {run} compliance", password_required=True, password_minimum_length=14,
        scheduled_actions_for_rule=[block]))
    try:
        check(isinstance(created, Windows10CompliancePolicy) and created.id,
              "deviceCompliancePolicies.post creates a Windows10CompliancePolicy (v1.0)", created)
        item = beta.device_management.device_compliance_policies.by_device_compliance_policy_id(created.id)
        await item.patch(BetaWindows10CompliancePolicy(
            tpm_required=True, active_firewall_required=True, defender_version="4.18.0.0",
            device_threat_protection_required_security_level=DeviceThreatProtectionLevel.Medium))
        got = await item.get()
        check(isinstance(got, BetaWindows10CompliancePolicy) and got.tpm_required is True
              and got.active_firewall_required is True and got.defender_version == "4.18.0.0"
              and got.device_threat_protection_required_security_level == DeviceThreatProtectionLevel.Medium
              and got.password_minimum_length == 14,
              "beta: PATCH of the beta-only settings reads back on the same policy", got)
        check(not unknown_properties(got), "beta: every property of the compliance policy is one the beta SDK's model knows",
              unknown_properties(got))
        v1 = await policies.by_device_compliance_policy_id(created.id).get()
        check(isinstance(v1, Windows10CompliancePolicy) and not unknown_properties(v1),
              "v1.0: the policy reads without beta's settings", unknown_properties(v1))
    finally:
        await policies.by_device_compliance_policy_id(created.id).delete()

    ios = await beta.device_management.device_compliance_policies.post(BetaIosCompliancePolicy(
        display_name=f"sdk-compat-py {run} ios", os_minimum_build_version="18H107",
        passcode_minutes_of_inactivity_before_screen_timeout=15,
        advanced_threat_protection_required_security_level=DeviceThreatProtectionLevel.Medium,
        scheduled_actions_for_rule=[block]))
    try:
        check(isinstance(ios, BetaIosCompliancePolicy) and ios.os_minimum_build_version == "18H107"
              and ios.passcode_minutes_of_inactivity_before_screen_timeout == 15
              and not unknown_properties(ios),
              "beta: deviceCompliancePolicies.post creates an IosCompliancePolicy with beta's settings", ios)
    finally:
        await beta.device_management.device_compliance_policies.by_device_compliance_policy_id(ios.id).delete()

    await singleton_round_trip(
        "beta deviceManagement (settings.enhancedJailBreak)",
        beta.device_management,
        BetaDeviceManagement,
        BetaDeviceManagement(settings=BetaDeviceManagementSettings(enhanced_jail_break=True)),
        lambda d: d.settings is not None and d.settings.enhanced_jail_break is True
        and d.settings.device_compliance_checkin_threshold_days == 30,
    )


async def enrolment_status_page(beta):
    """The enrolment status page's settings only beta has (issue 14): msgraph-beta-sdk reads the
    default status page with its settings and configuration type, and PATCHes them with its
    model; the change reads back and is undone."""
    configurations = beta.device_management.device_enrollment_configurations
    listed = await configurations.get()
    esp = next((c for c in listed.value if isinstance(c, BetaWindows10EnrollmentCompletionPageConfiguration)
                and c.priority == 0), None)
    check(esp is not None and esp.device_enrollment_configuration_type
          == DeviceEnrollmentConfigurationType.DefaultWindows10EnrollmentCompletionPageConfiguration,
          "beta: the default status page reads as Windows10EnrollmentCompletionPageConfiguration with its type", esp)
    check(not unknown_properties(listed.value), "beta: every property of the enrolment configurations is one the beta SDK's model knows",
          unknown_properties(listed.value))
    item = configurations.by_device_enrollment_configuration_id(esp.id)
    await item.patch(BetaWindows10EnrollmentCompletionPageConfiguration(
        show_installation_progress=True, install_progress_timeout_in_minutes=45,
        track_install_progress_for_autopilot_only=True))
    got = await item.get()
    check(isinstance(got, BetaWindows10EnrollmentCompletionPageConfiguration) and got.show_installation_progress is True
          and got.install_progress_timeout_in_minutes == 45 and got.track_install_progress_for_autopilot_only is True
          and got.priority == 0,
          "beta: PATCH of the status page's settings reads back", got)
    await item.patch(BetaWindows10EnrollmentCompletionPageConfiguration(
        show_installation_progress=esp.show_installation_progress,
        install_progress_timeout_in_minutes=esp.install_progress_timeout_in_minutes,
        track_install_progress_for_autopilot_only=esp.track_install_progress_for_autopilot_only))

    # Windows Hello for Business's beta-only settings (deviceEnrollmentDefaultBeta): security keys
    # for sign-in and enhanced sign-in security, PATCHed with the beta model and put back.
    hello = next(c for c in listed.value if isinstance(c, BetaDeviceEnrollmentWindowsHelloForBusinessConfiguration)
                 and c.priority == 0)
    hello_item = configurations.by_device_enrollment_configuration_id(hello.id)
    await hello_item.patch(BetaDeviceEnrollmentWindowsHelloForBusinessConfiguration(
        security_key_for_sign_in=BetaEnablement.Enabled, enhanced_sign_in_security=1))
    got = await hello_item.get()
    check(isinstance(got, BetaDeviceEnrollmentWindowsHelloForBusinessConfiguration)
          and got.security_key_for_sign_in == BetaEnablement.Enabled and got.enhanced_sign_in_security == 1
          and got.pin_minimum_length == hello.pin_minimum_length,
          "beta: PATCH of Windows Hello for Business's security keys and enhanced sign-in security reads back", got)
    await hello_item.patch(BetaDeviceEnrollmentWindowsHelloForBusinessConfiguration(
        security_key_for_sign_in=hello.security_key_for_sign_in, enhanced_sign_in_security=hello.enhanced_sign_in_security))


async def enrolment_defaults(client, run):
    """Intune's default enrolment configurations (issue 14): the collection reads as msgraph-sdk's
    derived models, one of each at priority 0; the default device limit and Windows Hello for
    Business take a PATCH written with those models; a configuration of the agency's own is
    created, assigned through `assign` (enrollmentConfigurationAssignments) and deleted."""
    configurations = client.device_management.device_enrollment_configurations
    listed = await configurations.get()
    defaults = [c for c in listed.value if c.priority == 0]
    kinds = sorted(type(c).__name__ for c in defaults)
    check(kinds == sorted([DeviceEnrollmentWindowsHelloForBusinessConfiguration.__name__,
                           DeviceEnrollmentLimitConfiguration.__name__,
                           DeviceEnrollmentPlatformRestrictionsConfiguration.__name__,
                           Windows10EnrollmentCompletionPageConfiguration.__name__]),
          "deviceEnrollmentConfigurations.get returns the four defaults as their derived models", kinds)
    check(all(c.display_name == "All users and all devices" for c in defaults),
          "every default is named 'All users and all devices'", [c.display_name for c in defaults])
    check(not unknown_properties(listed.value), "every property of the enrolment configurations is one the SDK's model knows",
          unknown_properties(listed.value))
    limit = next(c for c in defaults if isinstance(c, DeviceEnrollmentLimitConfiguration))
    hello = next(c for c in defaults if isinstance(c, DeviceEnrollmentWindowsHelloForBusinessConfiguration))
    restrictions = next(c for c in defaults if isinstance(c, DeviceEnrollmentPlatformRestrictionsConfiguration))
    check(restrictions.windows_restriction is not None and restrictions.windows_restriction.platform_blocked is False,
          "the default platform restrictions read as DeviceEnrollmentPlatformRestriction values", restrictions)

    item = configurations.by_device_enrollment_configuration_id(limit.id)
    await item.patch(DeviceEnrollmentLimitConfiguration(limit=limit.limit + 1))
    got = await item.get()
    check(isinstance(got, DeviceEnrollmentLimitConfiguration) and got.limit == limit.limit + 1 and got.priority == 0,
          "PATCH of the default device limit reads back", got)
    await item.patch(DeviceEnrollmentLimitConfiguration(limit=limit.limit))
    hello_item = configurations.by_device_enrollment_configuration_id(hello.id)
    await hello_item.patch(DeviceEnrollmentWindowsHelloForBusinessConfiguration(state=Enablement.Disabled))
    got = await hello_item.get()
    check(isinstance(got, DeviceEnrollmentWindowsHelloForBusinessConfiguration) and got.state == Enablement.Disabled,
          "PATCH of the default Windows Hello for Business state reads back", got)
    await hello_item.patch(DeviceEnrollmentWindowsHelloForBusinessConfiguration(state=hello.state))

    own = await configurations.post(DeviceEnrollmentLimitConfiguration(display_name=f"sdk-compat-py {run} limit", limit=10))
    try:
        check(isinstance(own, DeviceEnrollmentLimitConfiguration) and own.id and own.priority >= 1,
              "deviceEnrollmentConfigurations.post creates a DeviceEnrollmentLimitConfiguration after the defaults", own)
        own_item = configurations.by_device_enrollment_configuration_id(own.id)
        await own_item.assign.post(EnrollmentAssignPostRequestBody(enrollment_configuration_assignments=[
            EnrollmentConfigurationAssignment(target=AllDevicesAssignmentTarget())]))
        assignments = await own_item.assignments.get()
        check(len(assignments.value) == 1 and isinstance(assignments.value[0].target, AllDevicesAssignmentTarget),
              "assign (enrollmentConfigurationAssignments) reads back as an EnrollmentConfigurationAssignment", assignments)
    finally:
        await configurations.by_device_enrollment_configuration_id(own.id).delete()


async def main(ready_path):
    with open(ready_path, encoding="utf-8") as f:
        ready = json.load(f)
    check(urlparse(ready["graph"]).scheme == "https", "Graph URL is https (Kiota sends tokens over https only)", ready["graph"])
    tenant = ready["tenants"][0]
    app = tenant["apps"][0]
    tenant_id, client_id = tenant["id"], app["client_id"]
    options = {"authority": ready["authority"], "disable_instance_discovery": True}

    # --- Tokens -------------------------------------------------------------------------------
    secret = ClientSecretCredential(tenant_id, client_id, app["client_secret"], **options)
    token = secret.get_token(SCOPE)
    claims = claims_of(token.token)
    check(claims.get("tid") == tenant_id, "ClientSecretCredential: token names the tenant", claims.get("tid"))
    check(claims.get("appid") == client_id or claims.get("azp") == client_id, "ClientSecretCredential: token names the app")

    with tempfile.TemporaryDirectory() as tmp:
        pem = os.path.join(tmp, "app.pem")
        with open(app["certificate_path"], encoding="utf-8") as c, open(app["private_key_path"], encoding="utf-8") as k:
            text = c.read().strip() + "\n" + k.read().strip() + "\n"
        with open(pem, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(pem, 0o600)
        # MSAL signs the assertion with the thumbprint in base64url *with* padding, as Entra accepts.
        certificate = CertificateCredential(tenant_id, client_id, certificate_path=pem, **options)
        cert_token = certificate.get_token(SCOPE)
        cert_claims = claims_of(cert_token.token)
        check(cert_claims.get("tid") == tenant_id, "CertificateCredential: token names the tenant")
        check(cert_claims.get("appidacr") in (None, "2"), "CertificateCredential: appidacr is 2 (certificate)", cert_claims.get("appidacr"))

        wrong = ClientSecretCredential(tenant_id, client_id, "not-the-secret", **options)
        try:
            wrong.get_token(SCOPE)
            raise CheckFailed("a wrong client secret was accepted")
        except CheckFailed:
            raise
        except Exception as err:  # azure.identity's ClientAuthenticationError
            check("AADSTS7000215" in str(err), "a wrong client secret is refused with AADSTS7000215", str(err)[:200])

        client = graph_client(ready, secret)
        cert_client = graph_client(ready, certificate)
        run = uuid.uuid4().hex[:8]

        # --- Settings singletons and Intune profiles, with the SDKs' own model classes -------
        await settings_singletons(client, beta_client(ready, secret))
        await admin_consent_request_policy(client)
        await device_registration_policy(client)
        organization_id = await organization(client)
        await company_branding(client, organization_id)
        await group_licences(client, run)
        await b2b_management_policy(beta_client(ready, secret), run)
        await domain_password_expiry(client)
        await pim_role_settings(client)
        await device_configurations(client, run)
        await ios_update_policy(client, run)
        await windows_device_restrictions(client, run)
        await endpoint_protection(client, run)
        await ios_device_restrictions(client, run)
        await ios_device_features(client, run)
        await sharepoint_settings(client)
        await terms_of_use_agreement(client, run)
        await group_setting(client)
        await group_lifecycle_policy(client)
        await named_locations(client, run)
        await conditional_access_policy(client, run)
        await authorization_policy(client)
        await user_account(client, run, tenant["domain"])
        await ios_compliance_policy(client, run)
        await mobile_apps(client, run)
        await vpp_apps(client)
        await microsoft_365_apps(client, beta_client(ready, secret), run)
        await autopilot_profile(beta_client(ready, secret), run)
        await dep_profile(beta_client(ready, secret), run)


        await apple_enrolment_type_profile(beta_client(ready, secret), run)
        await platform_restriction(beta_client(ready, secret), run)
        await ios_vpn_profile(beta_client(ready, secret), run)
        await delivery_optimisation(beta_client(ready, secret), run)
        await network_boundary(beta_client(ready, secret), run)
        await ios_app_protection(client, run)
        await ios_app_protection_beta(client, beta_client(ready, secret), run)
        await administrative_template(beta_client(ready, secret), run)
        await profile_beta_settings(client, beta_client(ready, secret), run)
        await settings_catalog(beta_client(ready, secret), run)
        await firewall_rules_policy(beta_client(ready, secret), run)
        await compliance_beta_settings(client, beta_client(ready, secret), run)
        await device_management_scripts(beta_client(ready, secret), run)
        await enrolment_defaults(client, run)
        await enrolment_status_page(beta_client(ready, secret))

        # --- Create and read with the SDK's own model classes ------------------------------
        created = []
        for i in range(1, 6):
            group = Group(
                display_name=f"sdk-compat-py {run} group {i}",
                mail_enabled=False,
                mail_nickname=f"sdkcompatpy{run}{i}",
                security_enabled=True,
                description=f"made by msgraph-sdk {i}",
            )
            made = await client.groups.post(group)
            check(isinstance(made, Group) and made.id and made.display_name == group.display_name,
                  f"groups.post creates a Group ({group.display_name})", made)
            created.append(made)
        try:
            got = await cert_client.groups.by_group_id(created[0].id).get()
            check(isinstance(got, Group) and got.id == created[0].id and got.security_enabled is True,
                  "groups.by_group_id().get() with the certificate credential returns the Group", got)

            await client.groups.by_group_id(created[1].id).patch(Group(description=f"patched {run}"))
            patched = await client.groups.by_group_id(created[1].id).get()
            check(patched.description == f"patched {run}", "groups.by_group_id().patch() changes the description", patched.description)

            # --- Paging: the first page by the fluent API, the rest by msgraph-core's PageIterator
            query = GroupsRequestBuilder.GroupsRequestBuilderGetQueryParameters(top=2)
            first = await client.groups.get(RequestConfiguration(query_parameters=query))
            check(first and len(first.value) == 2, "groups.get(top=2) returns a page of 2")
            check(bool(first.odata_next_link), "the page has @odata.nextLink")
            next_link = urlparse(first.odata_next_link)
            graph = urlparse(ready["graph"])
            check((next_link.scheme, next_link.netloc) == (graph.scheme, graph.netloc),
                  "@odata.nextLink keeps the emulator's scheme, host and port (the request came over HTTP/2)",
                  first.odata_next_link)
            seen = []

            def collect(item):
                seen.append(item.id)
                return True

            iterator = PageIterator(first, client.request_adapter)
            await iterator.iterate(collect)
            check(len(seen) == len(set(seen)), f"PageIterator saw {len(seen)} groups, none twice")
            check(all(g.id in seen for g in created), "PageIterator saw all 5 created groups")

            # --- $batch built by msgraph-core ------------------------------------------------
            # BatchRequestItem keeps the request's absolute URL, which Graph refuses (the step URL
            # must be relative to the version: msgraph-sdk-python#1015, msgraph-sdk-python-core
            # #1116); the documented workaround makes it relative.
            content = BatchRequestContent()
            items = []
            for g in created[2:5]:
                info = client.groups.by_group_id(g.id).to_get_request_information()
                item = BatchRequestItem(request_information=info)
                item.url = item.url.replace(f"{ready['graph']}/v1.0", "")
                content.add_request(item.id, item)
                items.append((item.id, g))
            patch_info = client.groups.by_group_id(created[2].id).to_patch_request_information(Group(description=f"batched {run}"))
            patch_item = BatchRequestItem(request_information=patch_info)
            patch_item.url = patch_item.url.replace(f"{ready['graph']}/v1.0", "")
            content.add_request(patch_item.id, patch_item)
            responses = await client.batch.post(batch_request_content=content)
            # BatchResponseItem reads an item's body only as base64 (get_bytes_value), and Graph
            # sends JSON bodies as JSON objects, so the SDK leaves `body` empty for them: the
            # items are checked by status and content type, their content by a read below.
            for item_id, g in items:
                response = responses.get_response_by_id(item_id)
                check(response is not None and response.status == 200, f"batch GET of {g.display_name}: 200",
                      None if response is None else response.status)
                check("application/json" in (response.content_type or ""), "batch GET item is JSON", response.content_type)
            patched_in_batch = responses.get_response_by_id(patch_item.id)
            check(patched_in_batch is not None and patched_in_batch.status in (200, 204), "batch PATCH: 204",
                  None if patched_in_batch is None else patched_in_batch.status)
            after = await client.groups.by_group_id(created[2].id).get()
            check(after.description == f"batched {run}", "the batched PATCH took effect", after.description)

            # --- Errors come back as the SDK's ODataError ------------------------------------
            await client.groups.by_group_id(created[0].id).delete()
            try:
                await client.groups.by_group_id(created[0].id).get()
                raise CheckFailed("a deleted group was still found")
            except ODataError as err:
                check(err.response_status_code == 404, "a deleted group: ODataError 404", err.response_status_code)
                check(err.error is not None and err.error.code == "Request_ResourceNotFound",
                      "ODataError carries Graph's code Request_ResourceNotFound", err.error and err.error.code)
            created = created[1:]
        finally:
            for g in created:
                try:
                    await client.groups.by_group_id(g.id).delete()
                except Exception:
                    pass


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: python compat.py <ready.json> (the emulator's --ready-file)")
        sys.exit(2)
    try:
        asyncio.run(main(sys.argv[1]))
    except CheckFailed as failure:
        print(f"FAIL {failure}")
        print(f"sdk-compat-python: FAILED after {checks} passing checks")
        sys.exit(1)
    except Exception as err:
        import traceback

        traceback.print_exc()
        print(f"FAIL {type(err).__name__}: {err}")
        print(f"sdk-compat-python: FAILED after {checks} passing checks")
        sys.exit(1)
    print(f"sdk-compat-python: all {checks} checks passed")
