//! The nginx directive table: every directive lbc knows, where nginx allows it and how many arguments it takes.
//!
//! Coverage: nginx open-source core, events, http (all bundled modules, including
//! upstream, proxy, fastcgi, uwsgi, scgi, grpc, memcached, ssl, v2, v3/quic), stream
//! and mail modules of the 1.25–1.27 (and early 1.29) era, njs (`js_*`) and nginx-otel;
//! NGINX Plus-only directives; and popular third-party modules (lua-nginx-module and
//! stream-lua, headers-more, echo, set-misc, ngx_cache_purge, brotli, vts, upstream
//! check, sticky, geoip2, dav_ext, push_stream, nchan, passenger, pagespeed,
//! substitutions filter, fancyindex, ModSecurity, rtmp).
//!
//! Contexts and arities follow the `ngx_command_t` flags in the respective sources
//! (cross-checked with the nginx documentation and the public crossplane tables).
//!
//! The `module` field names the module defining the directive. By convention it
//! carries a suffix in parentheses for directives that are not part of current
//! open-source nginx: `(NGINX Plus)`, `(third-party)` or `(obsolete)` (removed from
//! current nginx but still common in old configs), e.g.
//! `"ngx_http_api_module (NGINX Plus)"`. See [`DirectiveSpec::is_nginx_plus`] and friends.

/// Contexts, as a bit set.
pub type Ctx = u32;
/// Top level of nginx.conf.
pub const MAIN: Ctx = 1 << 0;
/// `events { }`.
pub const EVENTS: Ctx = 1 << 1;
/// `http { }`.
pub const HTTP: Ctx = 1 << 2;
/// `http { server { } }`.
pub const HTTP_SRV: Ctx = 1 << 3;
/// `location { }` (also nested locations).
pub const HTTP_LOC: Ctx = 1 << 4;
/// `http { upstream { } }`.
pub const HTTP_UPS: Ctx = 1 << 5;
/// `if { }` inside `server`.
pub const HTTP_SIF: Ctx = 1 << 6;
/// `if { }` inside `location`.
pub const HTTP_LIF: Ctx = 1 << 7;
/// `limit_except { }`.
pub const HTTP_LMT: Ctx = 1 << 8;
/// `stream { }`.
pub const STREAM: Ctx = 1 << 9;
/// `stream { server { } }`.
pub const STREAM_SRV: Ctx = 1 << 10;
/// `stream { upstream { } }`.
pub const STREAM_UPS: Ctx = 1 << 11;
/// `mail { }`.
pub const MAIL: Ctx = 1 << 12;
/// `mail { server { } }`.
pub const MAIL_SRV: Ctx = 1 << 13;
/// Reserved for block bodies: map/geo/types/split_clients/match contents are
/// free-form (not looked up). See [`has_freeform_body`].
pub const HTTP_MAP: Ctx = 1 << 14;
/// Union of all the above.
pub const ANY_CTX: Ctx = MAIN
    | EVENTS
    | HTTP
    | HTTP_SRV
    | HTTP_LOC
    | HTTP_UPS
    | HTTP_SIF
    | HTTP_LIF
    | HTTP_LMT
    | STREAM
    | STREAM_SRV
    | STREAM_UPS
    | MAIL
    | MAIL_SRV
    | HTTP_MAP;

/// Argument arity, as a bit set (like nginx's NGX_CONF_* flags).
pub type Arity = u32;
/// No arguments.
pub const NOARGS: Arity = 1 << 0;
/// Exactly one argument.
pub const TAKE1: Arity = 1 << 1;
/// Exactly two arguments.
pub const TAKE2: Arity = 1 << 2;
/// Exactly three arguments.
pub const TAKE3: Arity = 1 << 3;
/// Exactly four arguments.
pub const TAKE4: Arity = 1 << 4;
/// Exactly five arguments.
pub const TAKE5: Arity = 1 << 5;
/// Exactly six arguments.
pub const TAKE6: Arity = 1 << 6;
/// Exactly seven arguments.
pub const TAKE7: Arity = 1 << 7;
/// One or two arguments.
pub const TAKE12: Arity = TAKE1 | TAKE2;
/// One or three arguments.
pub const TAKE13: Arity = TAKE1 | TAKE3;
/// Two or three arguments.
pub const TAKE23: Arity = TAKE2 | TAKE3;
/// One to three arguments.
pub const TAKE123: Arity = TAKE1 | TAKE2 | TAKE3;
/// One to four arguments.
pub const TAKE1234: Arity = TAKE1 | TAKE2 | TAKE3 | TAKE4;
/// Takes a `{ }` block.
pub const BLOCK: Arity = 1 << 8;
/// Exactly one argument: `on` | `off`.
pub const FLAG: Arity = 1 << 9;
/// Any number of arguments (0..).
pub const ANY: Arity = 1 << 10;
/// One or more arguments.
pub const MORE1: Arity = 1 << 11;
/// Two or more arguments.
pub const MORE2: Arity = 1 << 12;

/// One way a directive may be used: the contexts it is allowed in, how many
/// arguments it takes there, and the module defining it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirectiveSpec {
    /// Directive name, e.g. `proxy_pass`.
    pub name: &'static str,
    /// Contexts where this form is allowed (bit set of `MAIN`, `HTTP_SRV`, ...).
    pub contexts: Ctx,
    /// Argument arity (bit set of `TAKE1`, `FLAG`, `BLOCK`, ...).
    pub arity: Arity,
    /// Defining module; may end in `(NGINX Plus)`, `(third-party)` or `(obsolete)`.
    pub module: &'static str,
}

impl DirectiveSpec {
    /// True when this form takes a `{ }` block.
    pub fn is_block(&self) -> bool {
        self.arity & BLOCK != 0
    }

    /// True when this form is allowed in (any of) `ctx`.
    pub fn allowed_in(&self, ctx: Ctx) -> bool {
        self.contexts & ctx != 0
    }

    /// True when `n` arguments satisfy this form's arity.
    pub fn accepts(&self, n: usize) -> bool {
        arity_accepts(self.arity, n)
    }

    /// True for directives only available in the commercial NGINX Plus.
    pub fn is_nginx_plus(&self) -> bool {
        self.module.contains("NGINX Plus")
    }

    /// True for directives of third-party (non-nginx.org) modules.
    pub fn is_third_party(&self) -> bool {
        self.module.ends_with("(third-party)")
    }

    /// True for directives removed from current nginx (kept so old configs get a precise message).
    pub fn is_obsolete(&self) -> bool {
        self.module.contains("obsolete)")
    }
}

// Shorthand context sets used by the table below.
const HS: Ctx = HTTP | HTTP_SRV;
const HSL: Ctx = HTTP | HTTP_SRV | HTTP_LOC;
const HSLF: Ctx = HSL | HTTP_LIF;
const HSLX: Ctx = HSL | HTTP_LMT;
const HSLFX: Ctx = HSLF | HTTP_LMT;
const SL: Ctx = HTTP_SRV | HTTP_LOC;
const SLF: Ctx = SL | HTTP_LIF;
const LF: Ctx = HTTP_LOC | HTTP_LIF;
const LFX: Ctx = LF | HTTP_LMT;
const LX: Ctx = HTTP_LOC | HTTP_LMT;
const SILF: Ctx = HTTP_SRV | HTTP_SIF | HTTP_LOC | HTTP_LIF;
const HSILF: Ctx = HTTP | SILF;
const ST: Ctx = STREAM | STREAM_SRV;
const MN: Ctx = MAIL | MAIL_SRV;

const fn d(name: &'static str, contexts: Ctx, arity: Arity, module: &'static str) -> DirectiveSpec {
    DirectiveSpec {
        name,
        contexts,
        arity,
        module,
    }
}

/// Sorted by name (then by module); a name may appear several times (e.g. `server` in http vs upstream, `proxy_pass` in http vs stream) with different contexts/arity.
#[rustfmt::skip]
pub static DIRECTIVES: &[DirectiveSpec] = &[
    d("absolute_redirect",                   HSL,       FLAG,            "ngx_http_core_module"),
    d("accept_mutex",                        EVENTS,    FLAG,            "ngx_event_core_module"),
    d("accept_mutex_delay",                  EVENTS,    TAKE1,           "ngx_event_core_module"),
    d("access_by_lua",                       HSLF,      TAKE1,           "ngx_http_lua_module (third-party)"),
    d("access_by_lua_block",                 HSLF,      BLOCK | NOARGS,  "ngx_http_lua_module (third-party)"),
    d("access_by_lua_file",                  HSLF,      TAKE1,           "ngx_http_lua_module (third-party)"),
    d("access_by_lua_no_postpone",           HTTP,      FLAG,            "ngx_http_lua_module (third-party)"),
    d("access_log",                          HSLFX,     MORE1,           "ngx_http_log_module"),
    d("access_log",                          ST,        MORE1,           "ngx_stream_log_module"),
    d("add_after_body",                      HSL,       TAKE1,           "ngx_http_addition_module"),
    d("add_before_body",                     HSL,       TAKE1,           "ngx_http_addition_module"),
    d("add_header",                          HSLF,      TAKE23,          "ngx_http_headers_module"),
    d("add_header_inherit",                  HSLF,      TAKE1,           "ngx_http_headers_module"),
    d("add_trailer",                         HSLF,      TAKE23,          "ngx_http_headers_module"),
    d("add_trailer_inherit",                 HSLF,      TAKE1,           "ngx_http_headers_module"),
    d("addition_types",                      HSL,       MORE1,           "ngx_http_addition_module"),
    d("aio",                                 HSL,       TAKE1,           "ngx_http_core_module"),
    d("aio_write",                           HSL,       FLAG,            "ngx_http_core_module"),
    d("alias",                               HTTP_LOC,  TAKE1,           "ngx_http_core_module"),
    d("allow",                               HSLX,      TAKE1,           "ngx_http_access_module"),
    d("allow",                               ST,        TAKE1,           "ngx_stream_access_module"),
    d("ancient_browser",                     HSL,       MORE1,           "ngx_http_browser_module"),
    d("ancient_browser_value",               HSL,       TAKE1,           "ngx_http_browser_module"),
    d("api",                                 HTTP_LOC,  NOARGS | TAKE1,  "ngx_http_api_module (NGINX Plus)"),
    d("app_protect_app_name",                HSL,       TAKE1,           "ngx_http_app_protect_module (NGINX Plus)"),
    d("app_protect_compressed_requests_action", HTTP,      TAKE1,           "ngx_http_app_protect_module (NGINX Plus)"),
    d("app_protect_config_set_timeout",      HTTP,      TAKE1,           "ngx_http_app_protect_module (NGINX Plus)"),
    d("app_protect_cookie_seed",             HTTP,      TAKE1,           "ngx_http_app_protect_module (NGINX Plus)"),
    d("app_protect_cpu_thresholds",          HTTP,      TAKE2,           "ngx_http_app_protect_module (NGINX Plus)"),
    d("app_protect_custom_log_attribute",    HSL,       TAKE2,           "ngx_http_app_protect_module (NGINX Plus)"),
    d("app_protect_enable",                  HSL,       FLAG,            "ngx_http_app_protect_module (NGINX Plus)"),
    d("app_protect_enforcer_address",        HTTP,      TAKE1,           "ngx_http_app_protect_module (NGINX Plus)"),
    d("app_protect_enforcer_memory_limit_mb", HTTP,      TAKE1,           "ngx_http_app_protect_module (NGINX Plus)"),
    d("app_protect_failure_mode_action",     HTTP,      TAKE1,           "ngx_http_app_protect_module (NGINX Plus)"),
    d("app_protect_global_settings",         HTTP,      TAKE1,           "ngx_http_app_protect_module (NGINX Plus)"),
    d("app_protect_logging_str",             HSL,       TAKE1,           "ngx_http_app_protect_module (NGINX Plus)"),
    d("app_protect_physical_memory_util_thresholds", HTTP,      TAKE2,           "ngx_http_app_protect_module (NGINX Plus)"),
    d("app_protect_policy_file",             HSL,       TAKE1,           "ngx_http_app_protect_module (NGINX Plus)"),
    d("app_protect_reconnect_period_seconds", HTTP,      TAKE1,           "ngx_http_app_protect_module (NGINX Plus)"),
    d("app_protect_request_buffer_overflow_action", HTTP,      TAKE1,           "ngx_http_app_protect_module (NGINX Plus)"),
    d("app_protect_response_enforcement_disable", HTTP,      TAKE1,           "ngx_http_app_protect_module (NGINX Plus)"),
    d("app_protect_security_log",            HSL,       TAKE2,           "ngx_http_app_protect_module (NGINX Plus)"),
    d("app_protect_security_log_enable",     HSL,       FLAG,            "ngx_http_app_protect_module (NGINX Plus)"),
    d("app_protect_streaming_buffer_watermarks", HTTP,      TAKE2,           "ngx_http_app_protect_module (NGINX Plus)"),
    d("app_protect_user_defined_signatures", HTTP,      TAKE1,           "ngx_http_app_protect_module (NGINX Plus)"),
    d("auth_basic",                          HSLX,      TAKE1,           "ngx_http_auth_basic_module"),
    d("auth_basic_user_file",                HSLX,      TAKE1,           "ngx_http_auth_basic_module"),
    d("auth_delay",                          HSL,       TAKE1,           "ngx_http_core_module"),
    d("auth_http",                           MN,        TAKE1,           "ngx_mail_auth_http_module"),
    d("auth_http_header",                    MN,        TAKE2,           "ngx_mail_auth_http_module"),
    d("auth_http_pass_client_cert",          MN,        FLAG,            "ngx_mail_auth_http_module"),
    d("auth_http_timeout",                   MN,        TAKE1,           "ngx_mail_auth_http_module"),
    d("auth_jwt",                            HSLX,      TAKE12,          "ngx_http_auth_jwt_module (NGINX Plus)"),
    d("auth_jwt_claim_set",                  HTTP,      MORE2,           "ngx_http_auth_jwt_module (NGINX Plus)"),
    d("auth_jwt_header_set",                 HTTP,      MORE2,           "ngx_http_auth_jwt_module (NGINX Plus)"),
    d("auth_jwt_key_cache",                  HSLX,      TAKE1,           "ngx_http_auth_jwt_module (NGINX Plus)"),
    d("auth_jwt_key_file",                   HSLX,      TAKE1,           "ngx_http_auth_jwt_module (NGINX Plus)"),
    d("auth_jwt_key_request",                HSLX,      TAKE1,           "ngx_http_auth_jwt_module (NGINX Plus)"),
    d("auth_jwt_leeway",                     HSLX,      TAKE1,           "ngx_http_auth_jwt_module (NGINX Plus)"),
    d("auth_jwt_require",                    HSLX,      MORE1,           "ngx_http_auth_jwt_module (NGINX Plus)"),
    d("auth_jwt_type",                       HSLX,      TAKE1,           "ngx_http_auth_jwt_module (NGINX Plus)"),
    d("auth_oidc",                           HSL,       TAKE1,           "ngx_http_oidc_module (NGINX Plus)"),
    d("auth_request",                        HSL,       TAKE1,           "ngx_http_auth_request_module"),
    d("auth_request_set",                    HSL,       TAKE2,           "ngx_http_auth_request_module"),
    d("auth_require",                        HSLX,      MORE1,           "ngx_http_auth_require_module (NGINX Plus)"),
    d("autoindex",                           HSL,       FLAG,            "ngx_http_autoindex_module"),
    d("autoindex_exact_size",                HSL,       FLAG,            "ngx_http_autoindex_module"),
    d("autoindex_format",                    HSL,       TAKE1,           "ngx_http_autoindex_module"),
    d("autoindex_localtime",                 HSL,       FLAG,            "ngx_http_autoindex_module"),
    d("balancer_by_lua_block",               HTTP_UPS,  BLOCK | NOARGS,  "ngx_http_lua_module (third-party)"),
    d("balancer_by_lua_block",               STREAM_UPS, BLOCK | NOARGS,  "ngx_stream_lua_module (third-party)"),
    d("balancer_by_lua_file",                HTTP_UPS,  TAKE1,           "ngx_http_lua_module (third-party)"),
    d("balancer_by_lua_file",                STREAM_UPS, TAKE1,           "ngx_stream_lua_module (third-party)"),
    d("balancer_keepalive",                  HTTP_UPS,  TAKE1,           "ngx_http_lua_module (third-party)"),
    d("body_filter_by_lua",                  HSLF,      TAKE1,           "ngx_http_lua_module (third-party)"),
    d("body_filter_by_lua_block",            HSLF,      BLOCK | NOARGS,  "ngx_http_lua_module (third-party)"),
    d("body_filter_by_lua_file",             HSLF,      TAKE1,           "ngx_http_lua_module (third-party)"),
    d("break",                               SILF,      NOARGS,          "ngx_http_rewrite_module"),
    d("brotli",                              HSLF,      FLAG,            "ngx_http_brotli_filter_module (third-party)"),
    d("brotli_buffers",                      HSL,       TAKE2,           "ngx_http_brotli_filter_module (third-party)"),
    d("brotli_comp_level",                   HSL,       TAKE1,           "ngx_http_brotli_filter_module (third-party)"),
    d("brotli_min_length",                   HSL,       TAKE1,           "ngx_http_brotli_filter_module (third-party)"),
    d("brotli_static",                       HSL,       TAKE1,           "ngx_http_brotli_static_module (third-party)"),
    d("brotli_types",                        HSL,       MORE1,           "ngx_http_brotli_filter_module (third-party)"),
    d("brotli_window",                       HSL,       TAKE1,           "ngx_http_brotli_filter_module (third-party)"),
    d("cache_purge_response_type",           HSL,       TAKE1,           "ngx_cache_purge_module (third-party)"),
    d("charset",                             HSLF,      TAKE1,           "ngx_http_charset_module"),
    d("charset_map",                         HTTP,      BLOCK | TAKE2,   "ngx_http_charset_module"),
    d("charset_types",                       HSL,       MORE1,           "ngx_http_charset_module"),
    d("check",                               HTTP_UPS,  MORE1,           "ngx_http_upstream_check_module (third-party)"),
    d("check",                               STREAM_UPS, MORE1,           "ngx_stream_upstream_check_module (third-party)"),
    d("check_fastcgi_param",                 HTTP_UPS,  TAKE2,           "ngx_http_upstream_check_module (third-party)"),
    d("check_http_expect_alive",             HTTP_UPS,  MORE1,           "ngx_http_upstream_check_module (third-party)"),
    d("check_http_expect_alive",             STREAM_UPS, MORE1,           "ngx_stream_upstream_check_module (third-party)"),
    d("check_http_send",                     HTTP_UPS,  TAKE1,           "ngx_http_upstream_check_module (third-party)"),
    d("check_http_send",                     STREAM_UPS, TAKE1,           "ngx_stream_upstream_check_module (third-party)"),
    d("check_keepalive_requests",            HTTP_UPS,  TAKE1,           "ngx_http_upstream_check_module (third-party)"),
    d("check_keepalive_requests",            STREAM_UPS, TAKE1,           "ngx_stream_upstream_check_module (third-party)"),
    d("check_shm_size",                      HTTP,      TAKE1,           "ngx_http_upstream_check_module (third-party)"),
    d("check_shm_size",                      STREAM,    TAKE1,           "ngx_stream_upstream_check_module (third-party)"),
    d("check_status",                        SL,        NOARGS | TAKE1,  "ngx_http_upstream_check_module (third-party)"),
    d("chunked_transfer_encoding",           HSL,       FLAG,            "ngx_http_core_module"),
    d("client_body_buffer_size",             HSL,       TAKE1,           "ngx_http_core_module"),
    d("client_body_in_file_only",            HSL,       TAKE1,           "ngx_http_core_module"),
    d("client_body_in_single_buffer",        HSL,       FLAG,            "ngx_http_core_module"),
    d("client_body_temp_path",               HSL,       TAKE1234,        "ngx_http_core_module"),
    d("client_body_timeout",                 HSL,       TAKE1,           "ngx_http_core_module"),
    d("client_header_buffer_size",           HS,        TAKE1,           "ngx_http_core_module"),
    d("client_header_timeout",               HS,        TAKE1,           "ngx_http_core_module"),
    d("client_max_body_size",                HSL,       TAKE1,           "ngx_http_core_module"),
    d("connection_pool_size",                HS,        TAKE1,           "ngx_http_core_module"),
    d("content_by_lua",                      LF,        TAKE1,           "ngx_http_lua_module (third-party)"),
    d("content_by_lua_block",                LF,        BLOCK | NOARGS,  "ngx_http_lua_module (third-party)"),
    d("content_by_lua_block",                STREAM_SRV, BLOCK | NOARGS,  "ngx_stream_lua_module (third-party)"),
    d("content_by_lua_file",                 LF,        TAKE1,           "ngx_http_lua_module (third-party)"),
    d("content_by_lua_file",                 STREAM_SRV, TAKE1,           "ngx_stream_lua_module (third-party)"),
    d("create_full_put_path",                HSL,       FLAG,            "ngx_http_dav_module"),
    d("daemon",                              MAIN,      FLAG,            "ngx_core_module"),
    d("dav_access",                          HSL,       TAKE123,         "ngx_http_dav_module"),
    d("dav_ext_lock",                        HSL,       MORE1,           "ngx_http_dav_ext_module (third-party)"),
    d("dav_ext_lock_zone",                   HTTP,      TAKE12,          "ngx_http_dav_ext_module (third-party)"),
    d("dav_ext_methods",                     HSL,       MORE1,           "ngx_http_dav_ext_module (third-party)"),
    d("dav_methods",                         HSL,       MORE1,           "ngx_http_dav_module"),
    d("debug_connection",                    EVENTS,    TAKE1,           "ngx_event_core_module"),
    d("debug_points",                        MAIN,      TAKE1,           "ngx_core_module"),
    d("default_type",                        HSL,       TAKE1,           "ngx_http_core_module"),
    d("deny",                                HSLX,      TAKE1,           "ngx_http_access_module"),
    d("deny",                                ST,        TAKE1,           "ngx_stream_access_module"),
    d("directio",                            HSL,       TAKE1,           "ngx_http_core_module"),
    d("directio_alignment",                  HSL,       TAKE1,           "ngx_http_core_module"),
    d("disable_symlinks",                    HSL,       TAKE12,          "ngx_http_core_module"),
    d("early_hints",                         HSL,       MORE1,           "ngx_http_core_module"),
    d("echo",                                LF,        ANY,             "ngx_http_echo_module (third-party)"),
    d("echo_abort_parent",                   LF,        NOARGS,          "ngx_http_echo_module (third-party)"),
    d("echo_after_body",                     LF,        ANY,             "ngx_http_echo_module (third-party)"),
    d("echo_before_body",                    LF,        ANY,             "ngx_http_echo_module (third-party)"),
    d("echo_blocking_sleep",                 LF,        TAKE1,           "ngx_http_echo_module (third-party)"),
    d("echo_duplicate",                      LF,        MORE2,           "ngx_http_echo_module (third-party)"),
    d("echo_end",                            LF,        NOARGS,          "ngx_http_echo_module (third-party)"),
    d("echo_exec",                           LF,        TAKE12,          "ngx_http_echo_module (third-party)"),
    d("echo_flush",                          LF,        NOARGS,          "ngx_http_echo_module (third-party)"),
    d("echo_foreach_split",                  LF,        MORE2,           "ngx_http_echo_module (third-party)"),
    d("echo_location",                       LF,        TAKE12,          "ngx_http_echo_module (third-party)"),
    d("echo_location_async",                 LF,        TAKE12,          "ngx_http_echo_module (third-party)"),
    d("echo_read_request_body",              LF,        NOARGS,          "ngx_http_echo_module (third-party)"),
    d("echo_request_body",                   LF,        NOARGS,          "ngx_http_echo_module (third-party)"),
    d("echo_reset_timer",                    LF,        NOARGS,          "ngx_http_echo_module (third-party)"),
    d("echo_sleep",                          LF,        TAKE1,           "ngx_http_echo_module (third-party)"),
    d("echo_status",                         LF,        TAKE1,           "ngx_http_echo_module (third-party)"),
    d("echo_subrequest",                     LF,        MORE2,           "ngx_http_echo_module (third-party)"),
    d("echo_subrequest_async",               LF,        MORE2,           "ngx_http_echo_module (third-party)"),
    d("empty_gif",                           HTTP_LOC,  NOARGS,          "ngx_http_empty_gif_module"),
    d("env",                                 MAIN,      TAKE1,           "ngx_core_module"),
    d("epoll_events",                        EVENTS,    TAKE1,           "ngx_epoll_module"),
    d("error_log",                           MAIN,      MORE1,           "ngx_core_module"),
    d("error_log",                           HSL,       MORE1,           "ngx_http_core_module"),
    d("error_log",                           MN,        MORE1,           "ngx_mail_core_module"),
    d("error_log",                           ST,        MORE1,           "ngx_stream_core_module"),
    d("error_log_tag",                       HSL,       TAKE2,           "ngx_http_core_module (NGINX Plus)"),
    d("error_page",                          HSLF,      MORE2,           "ngx_http_core_module"),
    d("etag",                                HSL,       FLAG,            "ngx_http_core_module"),
    d("events",                              MAIN,      BLOCK | NOARGS,  "ngx_events_module"),
    d("exit_worker_by_lua_block",            HTTP,      BLOCK | NOARGS,  "ngx_http_lua_module (third-party)"),
    d("exit_worker_by_lua_block",            STREAM,    BLOCK | NOARGS,  "ngx_stream_lua_module (third-party)"),
    d("exit_worker_by_lua_file",             HTTP,      TAKE1,           "ngx_http_lua_module (third-party)"),
    d("exit_worker_by_lua_file",             STREAM,    TAKE1,           "ngx_stream_lua_module (third-party)"),
    d("expires",                             HSLF,      TAKE12,          "ngx_http_headers_module"),
    d("f4f",                                 HTTP_LOC,  NOARGS,          "ngx_http_f4f_module (NGINX Plus)"),
    d("f4f_buffer_size",                     HSL,       TAKE1,           "ngx_http_f4f_module (NGINX Plus)"),
    d("fancyindex",                          HSL,       FLAG,            "ngx_http_fancyindex_module (third-party)"),
    d("fancyindex_case_sensitive",           HSL,       FLAG,            "ngx_http_fancyindex_module (third-party)"),
    d("fancyindex_css_href",                 HSL,       TAKE1,           "ngx_http_fancyindex_module (third-party)"),
    d("fancyindex_default_sort",             HSL,       TAKE1,           "ngx_http_fancyindex_module (third-party)"),
    d("fancyindex_directories_first",        HSL,       FLAG,            "ngx_http_fancyindex_module (third-party)"),
    d("fancyindex_exact_size",               HSL,       FLAG,            "ngx_http_fancyindex_module (third-party)"),
    d("fancyindex_footer",                   HSL,       TAKE12,          "ngx_http_fancyindex_module (third-party)"),
    d("fancyindex_header",                   HSL,       TAKE12,          "ngx_http_fancyindex_module (third-party)"),
    d("fancyindex_hide_parent_dir",          HSL,       FLAG,            "ngx_http_fancyindex_module (third-party)"),
    d("fancyindex_hide_symlinks",            HSL,       FLAG,            "ngx_http_fancyindex_module (third-party)"),
    d("fancyindex_ignore",                   HSL,       MORE1,           "ngx_http_fancyindex_module (third-party)"),
    d("fancyindex_localtime",                HSL,       FLAG,            "ngx_http_fancyindex_module (third-party)"),
    d("fancyindex_name_length",              HSL,       TAKE1,           "ngx_http_fancyindex_module (third-party)"),
    d("fancyindex_show_dotfiles",            HSL,       FLAG,            "ngx_http_fancyindex_module (third-party)"),
    d("fancyindex_show_path",                HSL,       FLAG,            "ngx_http_fancyindex_module (third-party)"),
    d("fancyindex_time_format",              HSL,       TAKE1,           "ngx_http_fancyindex_module (third-party)"),
    d("fastcgi_allow_upstream",              HSL,       MORE1,           "ngx_http_fastcgi_module (NGINX Plus)"),
    d("fastcgi_bind",                        HSL,       TAKE12,          "ngx_http_fastcgi_module"),
    d("fastcgi_bind_dynamic",                HSL,       FLAG,            "ngx_http_fastcgi_module (NGINX Plus)"),
    d("fastcgi_buffer_size",                 HSL,       TAKE1,           "ngx_http_fastcgi_module"),
    d("fastcgi_buffering",                   HSL,       FLAG,            "ngx_http_fastcgi_module"),
    d("fastcgi_buffers",                     HSL,       TAKE2,           "ngx_http_fastcgi_module"),
    d("fastcgi_busy_buffers_size",           HSL,       TAKE1,           "ngx_http_fastcgi_module"),
    d("fastcgi_cache",                       HSL,       TAKE1,           "ngx_http_fastcgi_module"),
    d("fastcgi_cache_background_update",     HSL,       FLAG,            "ngx_http_fastcgi_module"),
    d("fastcgi_cache_bypass",                HSL,       MORE1,           "ngx_http_fastcgi_module"),
    d("fastcgi_cache_key",                   HSL,       TAKE1,           "ngx_http_fastcgi_module"),
    d("fastcgi_cache_lock",                  HSL,       FLAG,            "ngx_http_fastcgi_module"),
    d("fastcgi_cache_lock_age",              HSL,       TAKE1,           "ngx_http_fastcgi_module"),
    d("fastcgi_cache_lock_timeout",          HSL,       TAKE1,           "ngx_http_fastcgi_module"),
    d("fastcgi_cache_max_range_offset",      HSL,       TAKE1,           "ngx_http_fastcgi_module"),
    d("fastcgi_cache_methods",               HSL,       MORE1,           "ngx_http_fastcgi_module"),
    d("fastcgi_cache_min_uses",              HSL,       TAKE1,           "ngx_http_fastcgi_module"),
    d("fastcgi_cache_path",                  HTTP,      MORE2,           "ngx_http_fastcgi_module"),
    d("fastcgi_cache_purge",                 HSL,       MORE1,           "ngx_cache_purge_module (third-party)"),
    d("fastcgi_cache_purge",                 HSL,       MORE1,           "ngx_http_fastcgi_module (NGINX Plus)"),
    d("fastcgi_cache_revalidate",            HSL,       FLAG,            "ngx_http_fastcgi_module"),
    d("fastcgi_cache_use_stale",             HSL,       MORE1,           "ngx_http_fastcgi_module"),
    d("fastcgi_cache_valid",                 HSL,       MORE1,           "ngx_http_fastcgi_module"),
    d("fastcgi_catch_stderr",                HSL,       TAKE1,           "ngx_http_fastcgi_module"),
    d("fastcgi_connect_timeout",             HSL,       TAKE1,           "ngx_http_fastcgi_module"),
    d("fastcgi_force_ranges",                HSL,       FLAG,            "ngx_http_fastcgi_module"),
    d("fastcgi_hide_header",                 HSL,       TAKE1,           "ngx_http_fastcgi_module"),
    d("fastcgi_ignore_client_abort",         HSL,       FLAG,            "ngx_http_fastcgi_module"),
    d("fastcgi_ignore_headers",              HSL,       MORE1,           "ngx_http_fastcgi_module"),
    d("fastcgi_index",                       HSL,       TAKE1,           "ngx_http_fastcgi_module"),
    d("fastcgi_intercept_errors",            HSL,       FLAG,            "ngx_http_fastcgi_module"),
    d("fastcgi_keep_conn",                   HSL,       FLAG,            "ngx_http_fastcgi_module"),
    d("fastcgi_limit_rate",                  HSL,       TAKE1,           "ngx_http_fastcgi_module"),
    d("fastcgi_max_temp_file_size",          HSL,       TAKE1,           "ngx_http_fastcgi_module"),
    d("fastcgi_next_upstream",               HSL,       MORE1,           "ngx_http_fastcgi_module"),
    d("fastcgi_next_upstream_timeout",       HSL,       TAKE1,           "ngx_http_fastcgi_module"),
    d("fastcgi_next_upstream_tries",         HSL,       TAKE1,           "ngx_http_fastcgi_module"),
    d("fastcgi_no_cache",                    HSL,       MORE1,           "ngx_http_fastcgi_module"),
    d("fastcgi_param",                       HSL,       TAKE23,          "ngx_http_fastcgi_module"),
    d("fastcgi_pass",                        LF,        TAKE1,           "ngx_http_fastcgi_module"),
    d("fastcgi_pass_header",                 HSL,       TAKE1,           "ngx_http_fastcgi_module"),
    d("fastcgi_pass_request_body",           HSL,       FLAG,            "ngx_http_fastcgi_module"),
    d("fastcgi_pass_request_headers",        HSL,       FLAG,            "ngx_http_fastcgi_module"),
    d("fastcgi_read_timeout",                HSL,       TAKE1,           "ngx_http_fastcgi_module"),
    d("fastcgi_request_buffering",           HSL,       FLAG,            "ngx_http_fastcgi_module"),
    d("fastcgi_request_dynamic",             HSL,       FLAG,            "ngx_http_fastcgi_module (NGINX Plus)"),
    d("fastcgi_send_lowat",                  HSL,       TAKE1,           "ngx_http_fastcgi_module"),
    d("fastcgi_send_timeout",                HSL,       TAKE1,           "ngx_http_fastcgi_module"),
    d("fastcgi_socket_keepalive",            HSL,       FLAG,            "ngx_http_fastcgi_module"),
    d("fastcgi_split_path_info",             HSL,       TAKE1,           "ngx_http_fastcgi_module"),
    d("fastcgi_store",                       HSL,       TAKE1,           "ngx_http_fastcgi_module"),
    d("fastcgi_store_access",                HSL,       TAKE123,         "ngx_http_fastcgi_module"),
    d("fastcgi_temp_file_write_size",        HSL,       TAKE1,           "ngx_http_fastcgi_module"),
    d("fastcgi_temp_path",                   HSL,       TAKE1234,        "ngx_http_fastcgi_module"),
    d("flv",                                 HTTP_LOC,  NOARGS,          "ngx_http_flv_module"),
    d("geo",                                 HTTP,      BLOCK | TAKE12,  "ngx_http_geo_module"),
    d("geo",                                 STREAM,    BLOCK | TAKE12,  "ngx_stream_geo_module"),
    d("geoip2",                              HTTP,      BLOCK | TAKE1,   "ngx_http_geoip2_module (third-party)"),
    d("geoip2",                              STREAM,    BLOCK | TAKE1,   "ngx_stream_geoip2_module (third-party)"),
    d("geoip2_proxy",                        HTTP,      TAKE1,           "ngx_http_geoip2_module (third-party)"),
    d("geoip2_proxy_recursive",              HTTP,      FLAG,            "ngx_http_geoip2_module (third-party)"),
    d("geoip_city",                          HTTP,      TAKE12,          "ngx_http_geoip_module"),
    d("geoip_city",                          STREAM,    TAKE12,          "ngx_stream_geoip_module"),
    d("geoip_country",                       HTTP,      TAKE12,          "ngx_http_geoip_module"),
    d("geoip_country",                       STREAM,    TAKE12,          "ngx_stream_geoip_module"),
    d("geoip_org",                           HTTP,      TAKE12,          "ngx_http_geoip_module"),
    d("geoip_org",                           STREAM,    TAKE12,          "ngx_stream_geoip_module"),
    d("geoip_proxy",                         HTTP,      TAKE1,           "ngx_http_geoip_module"),
    d("geoip_proxy_recursive",               HTTP,      FLAG,            "ngx_http_geoip_module"),
    d("google_perftools_profiles",           MAIN,      TAKE1,           "ngx_google_perftools_module"),
    d("grpc_allow_upstream",                 HSL,       MORE1,           "ngx_http_grpc_module (NGINX Plus)"),
    d("grpc_bind",                           HSL,       TAKE12,          "ngx_http_grpc_module"),
    d("grpc_bind_dynamic",                   HSL,       FLAG,            "ngx_http_grpc_module (NGINX Plus)"),
    d("grpc_buffer_size",                    HSL,       TAKE1,           "ngx_http_grpc_module"),
    d("grpc_connect_timeout",                HSL,       TAKE1,           "ngx_http_grpc_module"),
    d("grpc_hide_header",                    HSL,       TAKE1,           "ngx_http_grpc_module"),
    d("grpc_ignore_headers",                 HSL,       MORE1,           "ngx_http_grpc_module"),
    d("grpc_intercept_errors",               HSL,       FLAG,            "ngx_http_grpc_module"),
    d("grpc_next_upstream",                  HSL,       MORE1,           "ngx_http_grpc_module"),
    d("grpc_next_upstream_timeout",          HSL,       TAKE1,           "ngx_http_grpc_module"),
    d("grpc_next_upstream_tries",            HSL,       TAKE1,           "ngx_http_grpc_module"),
    d("grpc_pass",                           LF,        TAKE1,           "ngx_http_grpc_module"),
    d("grpc_pass_header",                    HSL,       TAKE1,           "ngx_http_grpc_module"),
    d("grpc_read_timeout",                   HSL,       TAKE1,           "ngx_http_grpc_module"),
    d("grpc_request_dynamic",                HSL,       FLAG,            "ngx_http_grpc_module (NGINX Plus)"),
    d("grpc_send_timeout",                   HSL,       TAKE1,           "ngx_http_grpc_module"),
    d("grpc_set_header",                     HSL,       TAKE2,           "ngx_http_grpc_module"),
    d("grpc_socket_keepalive",               HSL,       FLAG,            "ngx_http_grpc_module"),
    d("grpc_ssl_certificate",                HSL,       TAKE1,           "ngx_http_grpc_module"),
    d("grpc_ssl_certificate_cache",          HSL,       TAKE123,         "ngx_http_grpc_module"),
    d("grpc_ssl_certificate_key",            HSL,       TAKE1,           "ngx_http_grpc_module"),
    d("grpc_ssl_ciphers",                    HSL,       TAKE1,           "ngx_http_grpc_module"),
    d("grpc_ssl_conf_command",               HSL,       TAKE2,           "ngx_http_grpc_module"),
    d("grpc_ssl_crl",                        HSL,       TAKE1,           "ngx_http_grpc_module"),
    d("grpc_ssl_key_log",                    HSL,       TAKE1,           "ngx_http_grpc_module (NGINX Plus)"),
    d("grpc_ssl_name",                       HSL,       TAKE1,           "ngx_http_grpc_module"),
    d("grpc_ssl_password_file",              HSL,       TAKE1,           "ngx_http_grpc_module"),
    d("grpc_ssl_protocols",                  HSL,       MORE1,           "ngx_http_grpc_module"),
    d("grpc_ssl_server_name",                HSL,       FLAG,            "ngx_http_grpc_module"),
    d("grpc_ssl_session_reuse",              HSL,       FLAG,            "ngx_http_grpc_module"),
    d("grpc_ssl_trusted_certificate",        HSL,       TAKE1,           "ngx_http_grpc_module"),
    d("grpc_ssl_verify",                     HSL,       FLAG,            "ngx_http_grpc_module"),
    d("grpc_ssl_verify_depth",               HSL,       TAKE1,           "ngx_http_grpc_module"),
    d("gunzip",                              HSL,       FLAG,            "ngx_http_gunzip_module"),
    d("gunzip_buffers",                      HSL,       TAKE2,           "ngx_http_gunzip_module"),
    d("gzip",                                HSLF,      FLAG,            "ngx_http_gzip_module"),
    d("gzip_buffers",                        HSL,       TAKE2,           "ngx_http_gzip_module"),
    d("gzip_comp_level",                     HSL,       TAKE1,           "ngx_http_gzip_module"),
    d("gzip_disable",                        HSL,       MORE1,           "ngx_http_gzip_module"),
    d("gzip_http_version",                   HSL,       TAKE1,           "ngx_http_gzip_module"),
    d("gzip_min_length",                     HSL,       TAKE1,           "ngx_http_gzip_module"),
    d("gzip_proxied",                        HSL,       MORE1,           "ngx_http_gzip_module"),
    d("gzip_static",                         HSL,       TAKE1,           "ngx_http_gzip_static_module"),
    d("gzip_types",                          HSL,       MORE1,           "ngx_http_gzip_module"),
    d("gzip_vary",                           HSL,       FLAG,            "ngx_http_gzip_module"),
    d("hash",                                HTTP_UPS,  TAKE12,          "ngx_http_upstream_hash_module"),
    d("hash",                                STREAM_UPS, TAKE12,          "ngx_stream_upstream_hash_module"),
    d("header_filter_by_lua",                HSLF,      TAKE1,           "ngx_http_lua_module (third-party)"),
    d("header_filter_by_lua_block",          HSLF,      BLOCK | NOARGS,  "ngx_http_lua_module (third-party)"),
    d("header_filter_by_lua_file",           HSLF,      TAKE1,           "ngx_http_lua_module (third-party)"),
    d("health_check",                        HTTP_LOC,  ANY,             "ngx_http_upstream_hc_module (NGINX Plus)"),
    d("health_check",                        STREAM_SRV, ANY,             "ngx_stream_upstream_hc_module (NGINX Plus)"),
    d("health_check_timeout",                ST,        TAKE1,           "ngx_stream_upstream_hc_module (NGINX Plus)"),
    d("hls",                                 HTTP_LOC,  NOARGS,          "ngx_http_hls_module (NGINX Plus)"),
    d("hls_buffers",                         HSL,       TAKE2,           "ngx_http_hls_module (NGINX Plus)"),
    d("hls_forward_args",                    HSL,       FLAG,            "ngx_http_hls_module (NGINX Plus)"),
    d("hls_fragment",                        HSL,       TAKE1,           "ngx_http_hls_module (NGINX Plus)"),
    d("hls_mp4_buffer_size",                 HSL,       TAKE1,           "ngx_http_hls_module (NGINX Plus)"),
    d("hls_mp4_max_buffer_size",             HSL,       TAKE1,           "ngx_http_hls_module (NGINX Plus)"),
    d("http",                                MAIN,      BLOCK | NOARGS,  "ngx_http_module"),
    d("http2",                               HS,        FLAG,            "ngx_http_v2_module"),
    d("http2_body_preread_size",             HS,        TAKE1,           "ngx_http_v2_module"),
    d("http2_chunk_size",                    HSL,       TAKE1,           "ngx_http_v2_module"),
    d("http2_idle_timeout",                  HS,        TAKE1,           "ngx_http_v2_module"),
    d("http2_max_concurrent_pushes",         HS,        TAKE1,           "ngx_http_v2_module"),
    d("http2_max_concurrent_streams",        HS,        TAKE1,           "ngx_http_v2_module"),
    d("http2_max_field_size",                HS,        TAKE1,           "ngx_http_v2_module"),
    d("http2_max_header_size",               HS,        TAKE1,           "ngx_http_v2_module"),
    d("http2_max_requests",                  HS,        TAKE1,           "ngx_http_v2_module"),
    d("http2_push",                          HSL,       TAKE1,           "ngx_http_v2_module"),
    d("http2_push_preload",                  HSL,       FLAG,            "ngx_http_v2_module"),
    d("http2_recv_buffer_size",              HTTP,      TAKE1,           "ngx_http_v2_module"),
    d("http2_recv_timeout",                  HS,        TAKE1,           "ngx_http_v2_module"),
    d("http3",                               HS,        FLAG,            "ngx_http_v3_module"),
    d("http3_hq",                            HS,        FLAG,            "ngx_http_v3_module"),
    d("http3_max_concurrent_streams",        HS,        TAKE1,           "ngx_http_v3_module"),
    d("http3_stream_buffer_size",            HS,        TAKE1,           "ngx_http_v3_module"),
    d("if",                                  SL,        BLOCK | MORE1,   "ngx_http_rewrite_module"),
    d("if_modified_since",                   HSL,       TAKE1,           "ngx_http_core_module"),
    d("ignore_invalid_headers",              HS,        FLAG,            "ngx_http_core_module"),
    d("image_filter",                        HTTP_LOC,  TAKE123,         "ngx_http_image_filter_module"),
    d("image_filter_buffer",                 HSL,       TAKE1,           "ngx_http_image_filter_module"),
    d("image_filter_interlace",              HSL,       FLAG,            "ngx_http_image_filter_module"),
    d("image_filter_jpeg_quality",           HSL,       TAKE1,           "ngx_http_image_filter_module"),
    d("image_filter_sharpen",                HSL,       TAKE1,           "ngx_http_image_filter_module"),
    d("image_filter_transparency",           HSL,       FLAG,            "ngx_http_image_filter_module"),
    d("image_filter_webp_quality",           HSL,       TAKE1,           "ngx_http_image_filter_module"),
    d("imap_auth",                           MN,        MORE1,           "ngx_mail_imap_module"),
    d("imap_capabilities",                   MN,        MORE1,           "ngx_mail_imap_module"),
    d("imap_client_buffer",                  MN,        TAKE1,           "ngx_mail_imap_module"),
    d("include",                             ANY_CTX,   TAKE1,           "ngx_core_module"),
    d("index",                               HSL,       MORE1,           "ngx_http_index_module"),
    d("init_by_lua",                         HTTP,      TAKE1,           "ngx_http_lua_module (third-party)"),
    d("init_by_lua_block",                   HTTP,      BLOCK | NOARGS,  "ngx_http_lua_module (third-party)"),
    d("init_by_lua_block",                   STREAM,    BLOCK | NOARGS,  "ngx_stream_lua_module (third-party)"),
    d("init_by_lua_file",                    HTTP,      TAKE1,           "ngx_http_lua_module (third-party)"),
    d("init_by_lua_file",                    STREAM,    TAKE1,           "ngx_stream_lua_module (third-party)"),
    d("init_worker_by_lua",                  HTTP,      TAKE1,           "ngx_http_lua_module (third-party)"),
    d("init_worker_by_lua_block",            HTTP,      BLOCK | NOARGS,  "ngx_http_lua_module (third-party)"),
    d("init_worker_by_lua_block",            STREAM,    BLOCK | NOARGS,  "ngx_stream_lua_module (third-party)"),
    d("init_worker_by_lua_file",             HTTP,      TAKE1,           "ngx_http_lua_module (third-party)"),
    d("init_worker_by_lua_file",             STREAM,    TAKE1,           "ngx_stream_lua_module (third-party)"),
    d("internal",                            HTTP_LOC,  NOARGS,          "ngx_http_core_module"),
    d("internal_redirect",                   SL,        TAKE1,           "ngx_http_internal_redirect_module (NGINX Plus)"),
    d("ip_hash",                             HTTP_UPS,  NOARGS,          "ngx_http_upstream_ip_hash_module"),
    d("js_access",                           LFX,       TAKE1,           "ngx_http_js_module"),
    d("js_access",                           ST,        TAKE1,           "ngx_stream_js_module"),
    d("js_body_filter",                      LFX,       TAKE12,          "ngx_http_js_module"),
    d("js_content",                          LFX,       TAKE1,           "ngx_http_js_module"),
    d("js_context_reuse",                    HSL,       TAKE1,           "ngx_http_js_module"),
    d("js_context_reuse",                    ST,        TAKE1,           "ngx_stream_js_module"),
    d("js_context_reuse_max_size",           HSL,       TAKE1,           "ngx_http_js_module"),
    d("js_context_reuse_max_size",           ST,        TAKE1,           "ngx_stream_js_module"),
    d("js_engine",                           HSL,       TAKE1,           "ngx_http_js_module"),
    d("js_engine",                           ST,        MORE1,           "ngx_stream_js_module"),
    d("js_fetch_buffer_size",                HSL,       TAKE1,           "ngx_http_js_module"),
    d("js_fetch_buffer_size",                ST,        TAKE1,           "ngx_stream_js_module"),
    d("js_fetch_ciphers",                    HSL,       TAKE1,           "ngx_http_js_module"),
    d("js_fetch_ciphers",                    ST,        TAKE1,           "ngx_stream_js_module"),
    d("js_fetch_keepalive",                  HSL,       TAKE1,           "ngx_http_js_module"),
    d("js_fetch_keepalive",                  ST,        TAKE1,           "ngx_stream_js_module"),
    d("js_fetch_keepalive_requests",         HSL,       TAKE1,           "ngx_http_js_module"),
    d("js_fetch_keepalive_requests",         ST,        TAKE1,           "ngx_stream_js_module"),
    d("js_fetch_keepalive_time",             HSL,       TAKE1,           "ngx_http_js_module"),
    d("js_fetch_keepalive_time",             ST,        TAKE1,           "ngx_stream_js_module"),
    d("js_fetch_keepalive_timeout",          HSL,       TAKE1,           "ngx_http_js_module"),
    d("js_fetch_keepalive_timeout",          ST,        TAKE1,           "ngx_stream_js_module"),
    d("js_fetch_max_response_buffer_size",   HSL,       TAKE1,           "ngx_http_js_module"),
    d("js_fetch_max_response_buffer_size",   ST,        TAKE1,           "ngx_stream_js_module"),
    d("js_fetch_protocols",                  HSL,       MORE1,           "ngx_http_js_module"),
    d("js_fetch_protocols",                  ST,        MORE1,           "ngx_stream_js_module"),
    d("js_fetch_proxy",                      HSL,       TAKE1,           "ngx_http_js_module"),
    d("js_fetch_proxy",                      ST,        TAKE1,           "ngx_stream_js_module"),
    d("js_fetch_timeout",                    HSL,       TAKE1,           "ngx_http_js_module"),
    d("js_fetch_timeout",                    ST,        TAKE1,           "ngx_stream_js_module"),
    d("js_fetch_trusted_certificate",        HSL,       TAKE1,           "ngx_http_js_module"),
    d("js_fetch_trusted_certificate",        ST,        TAKE1,           "ngx_stream_js_module"),
    d("js_fetch_verify",                     HSL,       FLAG,            "ngx_http_js_module"),
    d("js_fetch_verify",                     ST,        FLAG,            "ngx_stream_js_module"),
    d("js_fetch_verify_depth",               HSL,       TAKE1,           "ngx_http_js_module"),
    d("js_fetch_verify_depth",               ST,        TAKE1,           "ngx_stream_js_module"),
    d("js_filter",                           ST,        TAKE1,           "ngx_stream_js_module"),
    d("js_header_filter",                    LFX,       TAKE1,           "ngx_http_js_module"),
    d("js_import",                           HSL,       TAKE13,          "ngx_http_js_module"),
    d("js_import",                           ST,        TAKE13,          "ngx_stream_js_module"),
    d("js_include",                          HTTP,      TAKE1,           "ngx_http_js_module (obsolete)"),
    d("js_include",                          STREAM,    TAKE1,           "ngx_stream_js_module (obsolete)"),
    d("js_load_http_native_module",          MAIN,      TAKE13,          "ngx_js_core_module"),
    d("js_load_stream_native_module",        MAIN,      TAKE13,          "ngx_js_core_module"),
    d("js_path",                             HSL,       TAKE1,           "ngx_http_js_module"),
    d("js_path",                             ST,        TAKE1,           "ngx_stream_js_module"),
    d("js_periodic",                         HTTP_LOC,  ANY,             "ngx_http_js_module"),
    d("js_periodic",                         STREAM_SRV, ANY,             "ngx_stream_js_module"),
    d("js_preload_object",                   HSL,       TAKE13,          "ngx_http_js_module"),
    d("js_preload_object",                   ST,        TAKE13,          "ngx_stream_js_module"),
    d("js_preread",                          ST,        TAKE1,           "ngx_stream_js_module"),
    d("js_set",                              HSL,       TAKE23,          "ngx_http_js_module"),
    d("js_set",                              ST,        TAKE23,          "ngx_stream_js_module"),
    d("js_shared_dict_zone",                 HTTP,      MORE1,           "ngx_http_js_module"),
    d("js_shared_dict_zone",                 STREAM,    MORE1,           "ngx_stream_js_module"),
    d("js_var",                              HSL,       TAKE12,          "ngx_http_js_module"),
    d("js_var",                              ST,        TAKE12,          "ngx_stream_js_module"),
    d("keepalive",                           HTTP_UPS,  TAKE1,           "ngx_http_upstream_keepalive_module"),
    d("keepalive",                           HTTP_UPS,  TAKE12,          "ngx_http_upstream_keepalive_module (NGINX Plus)"),
    d("keepalive_disable",                   HSL,       TAKE12,          "ngx_http_core_module"),
    d("keepalive_min_timeout",               HSL,       TAKE1,           "ngx_http_core_module"),
    d("keepalive_requests",                  HSL,       TAKE1,           "ngx_http_core_module"),
    d("keepalive_requests",                  HTTP_UPS,  TAKE1,           "ngx_http_upstream_keepalive_module"),
    d("keepalive_time",                      HSL,       TAKE1,           "ngx_http_core_module"),
    d("keepalive_time",                      HTTP_UPS,  TAKE1,           "ngx_http_upstream_keepalive_module"),
    d("keepalive_timeout",                   HSL,       TAKE12,          "ngx_http_core_module"),
    d("keepalive_timeout",                   HTTP_UPS,  TAKE1,           "ngx_http_upstream_keepalive_module"),
    d("keyval",                              HTTP,      TAKE3 | TAKE4,   "ngx_http_keyval_module (NGINX Plus)"),
    d("keyval",                              STREAM,    TAKE3 | TAKE4,   "ngx_stream_keyval_module (NGINX Plus)"),
    d("keyval_zone",                         HTTP,      MORE1,           "ngx_http_keyval_module (NGINX Plus)"),
    d("keyval_zone",                         STREAM,    MORE1,           "ngx_stream_keyval_module (NGINX Plus)"),
    d("kqueue_changes",                      EVENTS,    TAKE1,           "ngx_kqueue_module"),
    d("kqueue_events",                       EVENTS,    TAKE1,           "ngx_kqueue_module"),
    d("large_client_header_buffers",         HS,        TAKE2,           "ngx_http_core_module"),
    d("least_conn",                          HTTP_UPS,  NOARGS,          "ngx_http_upstream_least_conn_module"),
    d("least_conn",                          STREAM_UPS, NOARGS,          "ngx_stream_upstream_least_conn_module"),
    d("least_time",                          HTTP_UPS,  TAKE12,          "ngx_http_upstream_module (NGINX Plus)"),
    d("least_time",                          STREAM_UPS, TAKE12,          "ngx_stream_upstream_module (NGINX Plus)"),
    d("limit_conn",                          HSL,       TAKE2,           "ngx_http_limit_conn_module"),
    d("limit_conn",                          ST,        TAKE2,           "ngx_stream_limit_conn_module"),
    d("limit_conn_dry_run",                  HSL,       FLAG,            "ngx_http_limit_conn_module"),
    d("limit_conn_dry_run",                  ST,        FLAG,            "ngx_stream_limit_conn_module"),
    d("limit_conn_log_level",                HSL,       TAKE1,           "ngx_http_limit_conn_module"),
    d("limit_conn_log_level",                ST,        TAKE1,           "ngx_stream_limit_conn_module"),
    d("limit_conn_status",                   HSL,       TAKE1,           "ngx_http_limit_conn_module"),
    d("limit_conn_zone",                     HTTP,      TAKE2,           "ngx_http_limit_conn_module"),
    d("limit_conn_zone",                     STREAM,    TAKE2,           "ngx_stream_limit_conn_module"),
    d("limit_except",                        HTTP_LOC,  BLOCK | MORE1,   "ngx_http_core_module"),
    d("limit_rate",                          HSLF,      TAKE1,           "ngx_http_core_module"),
    d("limit_rate_after",                    HSLF,      TAKE1,           "ngx_http_core_module"),
    d("limit_req",                           HSL,       TAKE123,         "ngx_http_limit_req_module"),
    d("limit_req_dry_run",                   HSL,       FLAG,            "ngx_http_limit_req_module"),
    d("limit_req_log_level",                 HSL,       TAKE1,           "ngx_http_limit_req_module"),
    d("limit_req_status",                    HSL,       TAKE1,           "ngx_http_limit_req_module"),
    d("limit_req_zone",                      HTTP,      TAKE3,           "ngx_http_limit_req_module"),
    d("limit_req_zone",                      HTTP,      TAKE3 | TAKE4,   "ngx_http_limit_req_module (NGINX Plus)"),
    d("lingering_close",                     HSL,       TAKE1,           "ngx_http_core_module"),
    d("lingering_time",                      HSL,       TAKE1,           "ngx_http_core_module"),
    d("lingering_timeout",                   HSL,       TAKE1,           "ngx_http_core_module"),
    d("listen",                              HTTP_SRV,  MORE1,           "ngx_http_core_module"),
    d("listen",                              MAIL_SRV,  MORE1,           "ngx_mail_core_module"),
    d("listen",                              STREAM_SRV, MORE1,           "ngx_stream_core_module"),
    d("load_module",                         MAIN,      TAKE1,           "ngx_core_module"),
    d("location",                            SL,        BLOCK | TAKE12,  "ngx_http_core_module"),
    d("lock_file",                           MAIN,      TAKE1,           "ngx_core_module"),
    d("log_by_lua",                          HSLF,      TAKE1,           "ngx_http_lua_module (third-party)"),
    d("log_by_lua_block",                    HSLF,      BLOCK | NOARGS,  "ngx_http_lua_module (third-party)"),
    d("log_by_lua_block",                    ST,        BLOCK | NOARGS,  "ngx_stream_lua_module (third-party)"),
    d("log_by_lua_file",                     HSLF,      TAKE1,           "ngx_http_lua_module (third-party)"),
    d("log_by_lua_file",                     ST,        TAKE1,           "ngx_stream_lua_module (third-party)"),
    d("log_format",                          HTTP,      MORE2,           "ngx_http_log_module"),
    d("log_format",                          STREAM,    MORE2,           "ngx_stream_log_module"),
    d("log_not_found",                       HSL,       FLAG,            "ngx_http_core_module"),
    d("log_subrequest",                      HSL,       FLAG,            "ngx_http_core_module"),
    d("lua_add_variable",                    STREAM,    TAKE1,           "ngx_stream_lua_module (third-party)"),
    d("lua_capture_error_log",               HTTP,      TAKE1,           "ngx_http_lua_module (third-party)"),
    d("lua_capture_error_log",               STREAM,    TAKE1,           "ngx_stream_lua_module (third-party)"),
    d("lua_check_client_abort",              HSLF,      FLAG,            "ngx_http_lua_module (third-party)"),
    d("lua_check_client_abort",              ST,        FLAG,            "ngx_stream_lua_module (third-party)"),
    d("lua_code_cache",                      HSLF,      FLAG,            "ngx_http_lua_module (third-party)"),
    d("lua_code_cache",                      ST,        FLAG,            "ngx_stream_lua_module (third-party)"),
    d("lua_http10_buffering",                HSLF,      FLAG,            "ngx_http_lua_module (third-party)"),
    d("lua_load_resty_core",                 HTTP,      FLAG,            "ngx_http_lua_module (third-party)"),
    d("lua_load_resty_core",                 STREAM,    FLAG,            "ngx_stream_lua_module (third-party)"),
    d("lua_malloc_trim",                     HTTP,      TAKE1,           "ngx_http_lua_module (third-party)"),
    d("lua_malloc_trim",                     STREAM,    TAKE1,           "ngx_stream_lua_module (third-party)"),
    d("lua_max_pending_timers",              HTTP,      TAKE1,           "ngx_http_lua_module (third-party)"),
    d("lua_max_pending_timers",              STREAM,    TAKE1,           "ngx_stream_lua_module (third-party)"),
    d("lua_max_running_timers",              HTTP,      TAKE1,           "ngx_http_lua_module (third-party)"),
    d("lua_max_running_timers",              STREAM,    TAKE1,           "ngx_stream_lua_module (third-party)"),
    d("lua_need_request_body",               HSLF,      FLAG,            "ngx_http_lua_module (third-party)"),
    d("lua_package_cpath",                   HTTP,      TAKE1,           "ngx_http_lua_module (third-party)"),
    d("lua_package_cpath",                   STREAM,    TAKE1,           "ngx_stream_lua_module (third-party)"),
    d("lua_package_path",                    HTTP,      TAKE1,           "ngx_http_lua_module (third-party)"),
    d("lua_package_path",                    STREAM,    TAKE1,           "ngx_stream_lua_module (third-party)"),
    d("lua_regex_cache_max_entries",         HTTP,      TAKE1,           "ngx_http_lua_module (third-party)"),
    d("lua_regex_cache_max_entries",         STREAM,    TAKE1,           "ngx_stream_lua_module (third-party)"),
    d("lua_regex_match_limit",               HTTP,      TAKE1,           "ngx_http_lua_module (third-party)"),
    d("lua_regex_match_limit",               STREAM,    TAKE1,           "ngx_stream_lua_module (third-party)"),
    d("lua_sa_restart",                      HTTP,      FLAG,            "ngx_http_lua_module (third-party)"),
    d("lua_sa_restart",                      STREAM,    FLAG,            "ngx_stream_lua_module (third-party)"),
    d("lua_shared_dict",                     HTTP,      TAKE2,           "ngx_http_lua_module (third-party)"),
    d("lua_shared_dict",                     STREAM,    TAKE2,           "ngx_stream_lua_module (third-party)"),
    d("lua_socket_buffer_size",              HSLF,      TAKE1,           "ngx_http_lua_module (third-party)"),
    d("lua_socket_buffer_size",              ST,        TAKE1,           "ngx_stream_lua_module (third-party)"),
    d("lua_socket_connect_timeout",          HSLF,      TAKE1,           "ngx_http_lua_module (third-party)"),
    d("lua_socket_connect_timeout",          ST,        TAKE1,           "ngx_stream_lua_module (third-party)"),
    d("lua_socket_keepalive_timeout",        HSLF,      TAKE1,           "ngx_http_lua_module (third-party)"),
    d("lua_socket_keepalive_timeout",        ST,        TAKE1,           "ngx_stream_lua_module (third-party)"),
    d("lua_socket_log_errors",               HSLF,      FLAG,            "ngx_http_lua_module (third-party)"),
    d("lua_socket_log_errors",               ST,        FLAG,            "ngx_stream_lua_module (third-party)"),
    d("lua_socket_pool_size",                HSLF,      TAKE1,           "ngx_http_lua_module (third-party)"),
    d("lua_socket_pool_size",                ST,        TAKE1,           "ngx_stream_lua_module (third-party)"),
    d("lua_socket_read_timeout",             HSLF,      TAKE1,           "ngx_http_lua_module (third-party)"),
    d("lua_socket_read_timeout",             ST,        TAKE1,           "ngx_stream_lua_module (third-party)"),
    d("lua_socket_send_lowat",               HSLF,      TAKE1,           "ngx_http_lua_module (third-party)"),
    d("lua_socket_send_timeout",             HSLF,      TAKE1,           "ngx_http_lua_module (third-party)"),
    d("lua_socket_send_timeout",             ST,        TAKE1,           "ngx_stream_lua_module (third-party)"),
    d("lua_ssl_certificate",                 HSL,       TAKE1,           "ngx_http_lua_module (third-party)"),
    d("lua_ssl_certificate",                 ST,        TAKE1,           "ngx_stream_lua_module (third-party)"),
    d("lua_ssl_certificate_key",             HSL,       TAKE1,           "ngx_http_lua_module (third-party)"),
    d("lua_ssl_certificate_key",             ST,        TAKE1,           "ngx_stream_lua_module (third-party)"),
    d("lua_ssl_ciphers",                     HSL,       TAKE1,           "ngx_http_lua_module (third-party)"),
    d("lua_ssl_ciphers",                     ST,        TAKE1,           "ngx_stream_lua_module (third-party)"),
    d("lua_ssl_conf_command",                HSL,       TAKE2,           "ngx_http_lua_module (third-party)"),
    d("lua_ssl_conf_command",                ST,        TAKE2,           "ngx_stream_lua_module (third-party)"),
    d("lua_ssl_crl",                         HSL,       TAKE1,           "ngx_http_lua_module (third-party)"),
    d("lua_ssl_crl",                         ST,        TAKE1,           "ngx_stream_lua_module (third-party)"),
    d("lua_ssl_key_log",                     HSL,       TAKE1,           "ngx_http_lua_module (third-party)"),
    d("lua_ssl_key_log",                     ST,        TAKE1,           "ngx_stream_lua_module (third-party)"),
    d("lua_ssl_protocols",                   HSL,       MORE1,           "ngx_http_lua_module (third-party)"),
    d("lua_ssl_protocols",                   ST,        MORE1,           "ngx_stream_lua_module (third-party)"),
    d("lua_ssl_trusted_certificate",         HSL,       TAKE1,           "ngx_http_lua_module (third-party)"),
    d("lua_ssl_trusted_certificate",         ST,        TAKE1,           "ngx_stream_lua_module (third-party)"),
    d("lua_ssl_verify_depth",                HSL,       TAKE1,           "ngx_http_lua_module (third-party)"),
    d("lua_ssl_verify_depth",                ST,        TAKE1,           "ngx_stream_lua_module (third-party)"),
    d("lua_thread_cache_max_entries",        HTTP,      TAKE1,           "ngx_http_lua_module (third-party)"),
    d("lua_transform_underscores_in_response_headers", HSLF,      FLAG,            "ngx_http_lua_module (third-party)"),
    d("lua_upstream_skip_openssl_default_verify", LF,        FLAG,            "ngx_http_lua_module (third-party)"),
    d("lua_use_default_type",                HSLF,      FLAG,            "ngx_http_lua_module (third-party)"),
    d("lua_worker_thread_vm_pool_size",      HTTP,      TAKE1,           "ngx_http_lua_module (third-party)"),
    d("mail",                                MAIN,      BLOCK | NOARGS,  "ngx_mail_module"),
    d("map",                                 HTTP,      BLOCK | TAKE2,   "ngx_http_map_module"),
    d("map",                                 STREAM,    BLOCK | TAKE2,   "ngx_stream_map_module"),
    d("map_hash_bucket_size",                HTTP,      TAKE1,           "ngx_http_map_module"),
    d("map_hash_bucket_size",                STREAM,    TAKE1,           "ngx_stream_map_module"),
    d("map_hash_max_size",                   HTTP,      TAKE1,           "ngx_http_map_module"),
    d("map_hash_max_size",                   STREAM,    TAKE1,           "ngx_stream_map_module"),
    d("master_process",                      MAIN,      FLAG,            "ngx_core_module"),
    d("match",                               HTTP,      BLOCK | TAKE12,  "ngx_http_upstream_hc_module (NGINX Plus)"),
    d("match",                               STREAM,    BLOCK | TAKE1,   "ngx_stream_upstream_hc_module (NGINX Plus)"),
    d("max_errors",                          MN,        TAKE1,           "ngx_mail_core_module"),
    d("max_headers",                         HS,        TAKE1,           "ngx_http_core_module"),
    d("max_ranges",                          HSL,       TAKE1,           "ngx_http_core_module"),
    d("memcached_allow_upstream",            HSL,       MORE1,           "ngx_http_memcached_module (NGINX Plus)"),
    d("memcached_bind",                      HSL,       TAKE12,          "ngx_http_memcached_module"),
    d("memcached_bind_dynamic",              HSL,       FLAG,            "ngx_http_memcached_module (NGINX Plus)"),
    d("memcached_buffer_size",               HSL,       TAKE1,           "ngx_http_memcached_module"),
    d("memcached_connect_timeout",           HSL,       TAKE1,           "ngx_http_memcached_module"),
    d("memcached_gzip_flag",                 HSL,       TAKE1,           "ngx_http_memcached_module"),
    d("memcached_next_upstream",             HSL,       MORE1,           "ngx_http_memcached_module"),
    d("memcached_next_upstream_timeout",     HSL,       TAKE1,           "ngx_http_memcached_module"),
    d("memcached_next_upstream_tries",       HSL,       TAKE1,           "ngx_http_memcached_module"),
    d("memcached_pass",                      LF,        TAKE1,           "ngx_http_memcached_module"),
    d("memcached_read_timeout",              HSL,       TAKE1,           "ngx_http_memcached_module"),
    d("memcached_send_timeout",              HSL,       TAKE1,           "ngx_http_memcached_module"),
    d("memcached_socket_keepalive",          HSL,       FLAG,            "ngx_http_memcached_module"),
    d("merge_slashes",                       HS,        FLAG,            "ngx_http_core_module"),
    d("mgmt",                                MAIN,      BLOCK | NOARGS,  "ngx_mgmt_module (NGINX Plus)"),
    d("min_delete_depth",                    HSL,       TAKE1,           "ngx_http_dav_module"),
    d("mirror",                              HSL,       TAKE1,           "ngx_http_mirror_module"),
    d("mirror_request_body",                 HSL,       FLAG,            "ngx_http_mirror_module"),
    d("modern_browser",                      HSL,       TAKE12,          "ngx_http_browser_module"),
    d("modern_browser_value",                HSL,       TAKE1,           "ngx_http_browser_module"),
    d("modsecurity",                         HSL,       FLAG,            "ngx_http_modsecurity_module (third-party)"),
    d("modsecurity_rules",                   HSL,       TAKE1,           "ngx_http_modsecurity_module (third-party)"),
    d("modsecurity_rules_file",              HSL,       TAKE1,           "ngx_http_modsecurity_module (third-party)"),
    d("modsecurity_rules_remote",            HSL,       TAKE2,           "ngx_http_modsecurity_module (third-party)"),
    d("modsecurity_transaction_id",          HSL,       TAKE1,           "ngx_http_modsecurity_module (third-party)"),
    d("modsecurity_use_error_log",           HSL,       FLAG,            "ngx_http_modsecurity_module (third-party)"),
    d("more_clear_headers",                  HSLF,      MORE1,           "ngx_http_headers_more_filter_module (third-party)"),
    d("more_clear_input_headers",            HSLF,      MORE1,           "ngx_http_headers_more_filter_module (third-party)"),
    d("more_set_headers",                    HSLF,      MORE1,           "ngx_http_headers_more_filter_module (third-party)"),
    d("more_set_input_headers",              HSLF,      MORE1,           "ngx_http_headers_more_filter_module (third-party)"),
    d("mp4",                                 HTTP_LOC,  NOARGS,          "ngx_http_mp4_module"),
    d("mp4_buffer_size",                     HSL,       TAKE1,           "ngx_http_mp4_module"),
    d("mp4_limit_rate",                      HSL,       TAKE1,           "ngx_http_mp4_module (NGINX Plus)"),
    d("mp4_limit_rate_after",                HSL,       TAKE1,           "ngx_http_mp4_module (NGINX Plus)"),
    d("mp4_max_buffer_size",                 HSL,       TAKE1,           "ngx_http_mp4_module"),
    d("mp4_start_key_frame",                 HSL,       FLAG,            "ngx_http_mp4_module"),
    d("mqtt",                                ST,        FLAG,            "ngx_stream_mqtt_filter_module (NGINX Plus)"),
    d("mqtt_buffers",                        ST,        TAKE2,           "ngx_stream_mqtt_filter_module (NGINX Plus)"),
    d("mqtt_preread",                        ST,        FLAG,            "ngx_stream_mqtt_preread_module (NGINX Plus)"),
    d("mqtt_rewrite_buffer_size",            STREAM_SRV, TAKE1,           "ngx_stream_mqtt_filter_module (NGINX Plus)"),
    d("mqtt_set_connect",                    STREAM_SRV, TAKE2,           "ngx_stream_mqtt_filter_module (NGINX Plus)"),
    d("msie_padding",                        HSL,       FLAG,            "ngx_http_core_module"),
    d("msie_refresh",                        HSL,       FLAG,            "ngx_http_core_module"),
    d("multi_accept",                        EVENTS,    FLAG,            "ngx_event_core_module"),
    d("nchan_access_control_allow_origin",   HSL,       TAKE1,           "ngx_nchan_module (third-party)"),
    d("nchan_allow_origin",                  HSLF,      TAKE1,           "ngx_nchan_module (third-party)"),
    d("nchan_authorize_request",             SLF,       TAKE1,           "ngx_nchan_module (third-party)"),
    d("nchan_channel_event_string",          SLF,       TAKE1,           "ngx_nchan_module (third-party)"),
    d("nchan_channel_events_channel_id",     SLF,       TAKE1,           "ngx_nchan_module (third-party)"),
    d("nchan_channel_group",                 SLF,       TAKE1,           "ngx_nchan_module (third-party)"),
    d("nchan_channel_id",                    SLF,       TAKE1 | TAKE2 | TAKE3 | TAKE4 | TAKE5 | TAKE6 | TAKE7, "ngx_nchan_module (third-party)"),
    d("nchan_channel_id_split_delimiter",    SLF,       TAKE1,           "ngx_nchan_module (third-party)"),
    d("nchan_channel_timeout",               HSL,       TAKE1,           "ngx_nchan_module (third-party)"),
    d("nchan_eventsource_event",             SLF,       TAKE1,           "ngx_nchan_module (third-party)"),
    d("nchan_longpoll_multipart_response",   SLF,       TAKE1,           "ngx_nchan_module (third-party)"),
    d("nchan_max_channel_id_length",         HSL,       TAKE1,           "ngx_nchan_module (third-party)"),
    d("nchan_max_channel_subscribers",       HSL,       TAKE1,           "ngx_nchan_module (third-party)"),
    d("nchan_max_reserved_memory",           HTTP,      TAKE1,           "ngx_nchan_module (third-party)"),
    d("nchan_message_buffer_length",         HSL,       TAKE1,           "ngx_nchan_module (third-party)"),
    d("nchan_message_max_buffer_length",     HSL,       TAKE1,           "ngx_nchan_module (third-party)"),
    d("nchan_message_timeout",               HSL,       TAKE1,           "ngx_nchan_module (third-party)"),
    d("nchan_pub_channel_id",                SLF,       TAKE1 | TAKE2 | TAKE3 | TAKE4 | TAKE5 | TAKE6 | TAKE7, "ngx_nchan_module (third-party)"),
    d("nchan_publisher",                     SLF,       NOARGS | TAKE12, "ngx_nchan_module (third-party)"),
    d("nchan_publisher_channel_id",          SLF,       TAKE1 | TAKE2 | TAKE3 | TAKE4 | TAKE5 | TAKE6 | TAKE7, "ngx_nchan_module (third-party)"),
    d("nchan_publisher_upstream_request",    SLF,       TAKE1,           "ngx_nchan_module (third-party)"),
    d("nchan_pubsub",                        SLF,       NOARGS | TAKE1 | TAKE2 | TAKE3 | TAKE4 | TAKE5 | TAKE6, "ngx_nchan_module (third-party)"),
    d("nchan_pubsub_channel_id",             SLF,       TAKE1 | TAKE2 | TAKE3 | TAKE4 | TAKE5 | TAKE6 | TAKE7, "ngx_nchan_module (third-party)"),
    d("nchan_redis_namespace",               HSL,       TAKE1,           "ngx_nchan_module (third-party)"),
    d("nchan_redis_pass",                    HSLF,      TAKE1,           "ngx_nchan_module (third-party)"),
    d("nchan_redis_ping_interval",           HSL,       TAKE1,           "ngx_nchan_module (third-party)"),
    d("nchan_redis_server",                  HTTP_UPS,  TAKE1,           "ngx_nchan_module (third-party)"),
    d("nchan_redis_storage_mode",            HSL,       TAKE1,           "ngx_nchan_module (third-party)"),
    d("nchan_redis_url",                     HSL,       TAKE1,           "ngx_nchan_module (third-party)"),
    d("nchan_shared_memory_size",            HTTP,      TAKE1,           "ngx_nchan_module (third-party)"),
    d("nchan_storage_engine",                HSL,       TAKE1,           "ngx_nchan_module (third-party)"),
    d("nchan_store_messages",                HSLF,      TAKE1,           "ngx_nchan_module (third-party)"),
    d("nchan_stub_status",                   HTTP_LOC,  NOARGS,          "ngx_nchan_module (third-party)"),
    d("nchan_sub_channel_id",                SLF,       TAKE1 | TAKE2 | TAKE3 | TAKE4 | TAKE5 | TAKE6 | TAKE7, "ngx_nchan_module (third-party)"),
    d("nchan_subscribe_existing_channels_only", HSL,       TAKE1,           "ngx_nchan_module (third-party)"),
    d("nchan_subscribe_request",             SLF,       TAKE1,           "ngx_nchan_module (third-party)"),
    d("nchan_subscriber",                    SLF,       NOARGS | TAKE1 | TAKE2 | TAKE3 | TAKE4 | TAKE5, "ngx_nchan_module (third-party)"),
    d("nchan_subscriber_channel_id",         SLF,       TAKE1 | TAKE2 | TAKE3 | TAKE4 | TAKE5 | TAKE6 | TAKE7, "ngx_nchan_module (third-party)"),
    d("nchan_subscriber_compound_etag_message_id", SLF,       TAKE1,           "ngx_nchan_module (third-party)"),
    d("nchan_subscriber_first_message",      SLF,       TAKE1,           "ngx_nchan_module (third-party)"),
    d("nchan_subscriber_http_raw_stream_separator", SLF,       TAKE1,           "ngx_nchan_module (third-party)"),
    d("nchan_subscriber_last_message_id",    SLF,       TAKE1 | TAKE2 | TAKE3 | TAKE4 | TAKE5, "ngx_nchan_module (third-party)"),
    d("nchan_subscriber_message_id_custom_etag_header", SLF,       TAKE1,           "ngx_nchan_module (third-party)"),
    d("nchan_subscriber_timeout",            HSLF,      TAKE1,           "ngx_nchan_module (third-party)"),
    d("nchan_unsubscribe_request",           SLF,       TAKE1,           "ngx_nchan_module (third-party)"),
    d("nchan_use_redis",                     HSL,       TAKE1,           "ngx_nchan_module (third-party)"),
    d("nchan_websocket_ping_interval",       SLF,       TAKE1,           "ngx_nchan_module (third-party)"),
    d("ntlm",                                HTTP_UPS,  NOARGS,          "ngx_http_upstream_module (NGINX Plus)"),
    d("num_map",                             HTTP,      BLOCK | TAKE2,   "ngx_http_map_module (NGINX Plus)"),
    d("num_map",                             STREAM,    BLOCK | TAKE2,   "ngx_stream_map_module (NGINX Plus)"),
    d("oidc_provider",                       HTTP,      BLOCK | TAKE1,   "ngx_http_oidc_module (NGINX Plus)"),
    d("open_file_cache",                     HSL,       TAKE12,          "ngx_http_core_module"),
    d("open_file_cache_errors",              HSL,       FLAG,            "ngx_http_core_module"),
    d("open_file_cache_min_uses",            HSL,       TAKE1,           "ngx_http_core_module"),
    d("open_file_cache_valid",               HSL,       TAKE1,           "ngx_http_core_module"),
    d("open_log_file_cache",                 HSL,       TAKE1234,        "ngx_http_log_module"),
    d("open_log_file_cache",                 ST,        TAKE1234,        "ngx_stream_log_module"),
    d("otel_exporter",                       HTTP,      BLOCK | NOARGS,  "ngx_otel_module"),
    d("otel_resource_attr",                  HTTP,      TAKE2,           "ngx_otel_module"),
    d("otel_service_name",                   HTTP,      TAKE1,           "ngx_otel_module"),
    d("otel_span_attr",                      HSL,       TAKE2,           "ngx_otel_module"),
    d("otel_span_name",                      HSL,       TAKE1,           "ngx_otel_module"),
    d("otel_trace",                          HSL,       TAKE1,           "ngx_otel_module"),
    d("otel_trace_context",                  HSL,       TAKE1,           "ngx_otel_module"),
    d("output_buffers",                      HSL,       TAKE2,           "ngx_http_core_module"),
    d("override_charset",                    HSLF,      FLAG,            "ngx_http_charset_module"),
    d("pagespeed",                           HSLF,      TAKE1 | TAKE2 | TAKE3 | TAKE4 | TAKE5, "ngx_pagespeed (third-party)"),
    d("pass",                                STREAM_SRV, TAKE1,           "ngx_stream_pass_module"),
    d("passenger_abort_websockets_on_process_shutdown", HSLF,      FLAG,            "ngx_http_passenger_module (third-party)"),
    d("passenger_app_env",                   HSLF,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_app_file_descriptor_ulimit", HSLF,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_app_group_name",            HSLF,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_app_log_file",              HSLF,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_app_rights",                HSLF,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_app_root",                  HSLF,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_app_type",                  HSLF,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_base_uri",                  HSLF,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_buffer_response",           HSLF,      FLAG,            "ngx_http_passenger_module (third-party)"),
    d("passenger_buffer_size",               HSLF,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_buffers",                   HSLF,      TAKE2,           "ngx_http_passenger_module (third-party)"),
    d("passenger_busy_buffers_size",         HSLF,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_concurrency_model",         HSLF,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_core_file_descriptor_ulimit", HTTP,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_ctl",                       HTTP,      TAKE2,           "ngx_http_passenger_module (third-party)"),
    d("passenger_data_buffer_dir",           HTTP,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_debugger",                  HSLF,      FLAG,            "ngx_http_passenger_module (third-party)"),
    d("passenger_default_group",             HTTP,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_default_user",              HTTP,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_disable_anonymous_telemetry", HTTP,      FLAG,            "ngx_http_passenger_module (third-party)"),
    d("passenger_disable_security_update_check", HTTP,      FLAG,            "ngx_http_passenger_module (third-party)"),
    d("passenger_document_root",             HSLF,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_enabled",                   SLF,       FLAG,            "ngx_http_passenger_module (third-party)"),
    d("passenger_env_var",                   HSLF,      TAKE2,           "ngx_http_passenger_module (third-party)"),
    d("passenger_file_descriptor_log_file",  HTTP,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_force_max_concurrent_requests_per_process", HSLF,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_friendly_error_pages",      HSLF,      FLAG,            "ngx_http_passenger_module (third-party)"),
    d("passenger_group",                     HSLF,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_headers_hash_bucket_size",  HSLF,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_headers_hash_max_size",     HSLF,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_ignore_client_abort",       HSLF,      FLAG,            "ngx_http_passenger_module (third-party)"),
    d("passenger_ignore_headers",            HSLF,      MORE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_instance_registry_dir",     HTTP,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_intercept_errors",          HSLF,      FLAG,            "ngx_http_passenger_module (third-party)"),
    d("passenger_load_shell_envvars",        HSLF,      FLAG,            "ngx_http_passenger_module (third-party)"),
    d("passenger_log_file",                  HTTP,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_log_level",                 HTTP,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_max_instances",             HSLF,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_max_instances_per_app",     HTTP,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_max_pool_size",             HTTP,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_max_preloader_idle_time",   HSLF,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_max_request_queue_size",    HSLF,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_max_request_time",          HSLF,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_max_requests",              HSLF,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_memory_limit",              HSLF,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_meteor_app_settings",       HSLF,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_min_instances",             HSLF,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_nodejs",                    HSLF,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_pass_header",               HSLF,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_pool_idle_time",            HTTP,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_pre_start",                 HTTP,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_preload_bundler",           HSLF,      FLAG,            "ngx_http_passenger_module (third-party)"),
    d("passenger_python",                    HSLF,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_request_queue_overflow_status_code", HSLF,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_response_buffer_high_watermark", HTTP,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_restart_dir",               HSLF,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_rolling_restarts",          HSLF,      FLAG,            "ngx_http_passenger_module (third-party)"),
    d("passenger_root",                      HTTP,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_ruby",                      HSLF,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_set_header",                HSLF,      TAKE2,           "ngx_http_passenger_module (third-party)"),
    d("passenger_show_version_in_header",    HTTP,      FLAG,            "ngx_http_passenger_module (third-party)"),
    d("passenger_socket_backlog",            HTTP,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_spawn_method",              HSLF,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_start_timeout",             HSLF,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_startup_file",              HSLF,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_stat_throttle_rate",        HTTP,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_sticky_sessions",           HSLF,      FLAG,            "ngx_http_passenger_module (third-party)"),
    d("passenger_sticky_sessions_cookie_name", HSLF,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_thread_count",              HSLF,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_turbocaching",              HTTP,      FLAG,            "ngx_http_passenger_module (third-party)"),
    d("passenger_user",                      HSLF,      TAKE1,           "ngx_http_passenger_module (third-party)"),
    d("passenger_user_switching",            HTTP,      FLAG,            "ngx_http_passenger_module (third-party)"),
    d("pcre_jit",                            MAIN,      FLAG,            "ngx_core_module"),
    d("perl",                                LX,        TAKE1,           "ngx_http_perl_module"),
    d("perl_modules",                        HTTP,      TAKE1,           "ngx_http_perl_module"),
    d("perl_require",                        HTTP,      TAKE1,           "ngx_http_perl_module"),
    d("perl_set",                            HTTP,      TAKE2,           "ngx_http_perl_module"),
    d("pid",                                 MAIN,      TAKE1,           "ngx_core_module"),
    d("pop3_auth",                           MN,        MORE1,           "ngx_mail_pop3_module"),
    d("pop3_capabilities",                   MN,        MORE1,           "ngx_mail_pop3_module"),
    d("port_in_redirect",                    HSL,       FLAG,            "ngx_http_core_module"),
    d("postpone_output",                     HSL,       TAKE1,           "ngx_http_core_module"),
    d("precontent_by_lua_block",             HSLF,      BLOCK | NOARGS,  "ngx_http_lua_module (third-party)"),
    d("precontent_by_lua_file",              HSLF,      TAKE1,           "ngx_http_lua_module (third-party)"),
    d("precontent_by_lua_no_postpone",       HTTP,      FLAG,            "ngx_http_lua_module (third-party)"),
    d("preread_buffer_size",                 ST,        TAKE1,           "ngx_stream_core_module"),
    d("preread_by_lua_block",                ST,        BLOCK | NOARGS,  "ngx_stream_lua_module (third-party)"),
    d("preread_by_lua_file",                 ST,        TAKE1,           "ngx_stream_lua_module (third-party)"),
    d("preread_by_lua_no_postpone",          STREAM,    FLAG,            "ngx_stream_lua_module (third-party)"),
    d("preread_timeout",                     ST,        TAKE1,           "ngx_stream_core_module"),
    d("protocol",                            MAIL_SRV,  TAKE1,           "ngx_mail_core_module"),
    d("proxy_allow_upstream",                HSL,       MORE1,           "ngx_http_proxy_module (NGINX Plus)"),
    d("proxy_bind",                          HSL,       TAKE12,          "ngx_http_proxy_module"),
    d("proxy_bind",                          ST,        TAKE12,          "ngx_stream_proxy_module"),
    d("proxy_bind_dynamic",                  HSL,       FLAG,            "ngx_http_proxy_module (NGINX Plus)"),
    d("proxy_bind_dynamic",                  ST,        FLAG,            "ngx_stream_proxy_module (NGINX Plus)"),
    d("proxy_buffer",                        MN,        TAKE1,           "ngx_mail_proxy_module"),
    d("proxy_buffer_size",                   HSL,       TAKE1,           "ngx_http_proxy_module"),
    d("proxy_buffer_size",                   ST,        TAKE1,           "ngx_stream_proxy_module"),
    d("proxy_buffering",                     HSL,       FLAG,            "ngx_http_proxy_module"),
    d("proxy_buffers",                       HSL,       TAKE2,           "ngx_http_proxy_module"),
    d("proxy_busy_buffers_size",             HSL,       TAKE1,           "ngx_http_proxy_module"),
    d("proxy_cache",                         HSL,       TAKE1,           "ngx_http_proxy_module"),
    d("proxy_cache_background_update",       HSL,       FLAG,            "ngx_http_proxy_module"),
    d("proxy_cache_bypass",                  HSL,       MORE1,           "ngx_http_proxy_module"),
    d("proxy_cache_convert_head",            HSL,       FLAG,            "ngx_http_proxy_module"),
    d("proxy_cache_key",                     HSL,       TAKE1,           "ngx_http_proxy_module"),
    d("proxy_cache_lock",                    HSL,       FLAG,            "ngx_http_proxy_module"),
    d("proxy_cache_lock_age",                HSL,       TAKE1,           "ngx_http_proxy_module"),
    d("proxy_cache_lock_timeout",            HSL,       TAKE1,           "ngx_http_proxy_module"),
    d("proxy_cache_max_range_offset",        HSL,       TAKE1,           "ngx_http_proxy_module"),
    d("proxy_cache_methods",                 HSL,       MORE1,           "ngx_http_proxy_module"),
    d("proxy_cache_min_uses",                HSL,       TAKE1,           "ngx_http_proxy_module"),
    d("proxy_cache_path",                    HTTP,      MORE2,           "ngx_http_proxy_module"),
    d("proxy_cache_purge",                   HSL,       MORE1,           "ngx_cache_purge_module (third-party)"),
    d("proxy_cache_purge",                   HSL,       MORE1,           "ngx_http_proxy_module (NGINX Plus)"),
    d("proxy_cache_revalidate",              HSL,       FLAG,            "ngx_http_proxy_module"),
    d("proxy_cache_use_stale",               HSL,       MORE1,           "ngx_http_proxy_module"),
    d("proxy_cache_valid",                   HSL,       MORE1,           "ngx_http_proxy_module"),
    d("proxy_connect_timeout",               HSL,       TAKE1,           "ngx_http_proxy_module"),
    d("proxy_connect_timeout",               ST,        TAKE1,           "ngx_stream_proxy_module"),
    d("proxy_cookie_domain",                 HSL,       TAKE12,          "ngx_http_proxy_module"),
    d("proxy_cookie_flags",                  HSL,       TAKE1234,        "ngx_http_proxy_module"),
    d("proxy_cookie_path",                   HSL,       TAKE12,          "ngx_http_proxy_module"),
    d("proxy_download_rate",                 ST,        TAKE1,           "ngx_stream_proxy_module"),
    d("proxy_force_ranges",                  HSL,       FLAG,            "ngx_http_proxy_module"),
    d("proxy_half_close",                    ST,        FLAG,            "ngx_stream_proxy_module"),
    d("proxy_headers_hash_bucket_size",      HSL,       TAKE1,           "ngx_http_proxy_module"),
    d("proxy_headers_hash_max_size",         HSL,       TAKE1,           "ngx_http_proxy_module"),
    d("proxy_hide_header",                   HSL,       TAKE1,           "ngx_http_proxy_module"),
    d("proxy_http_version",                  HSL,       TAKE1,           "ngx_http_proxy_module"),
    d("proxy_ignore_client_abort",           HSL,       FLAG,            "ngx_http_proxy_module"),
    d("proxy_ignore_headers",                HSL,       MORE1,           "ngx_http_proxy_module"),
    d("proxy_intercept_errors",              HSL,       FLAG,            "ngx_http_proxy_module"),
    d("proxy_limit_rate",                    HSL,       TAKE1,           "ngx_http_proxy_module"),
    d("proxy_max_temp_file_size",            HSL,       TAKE1,           "ngx_http_proxy_module"),
    d("proxy_method",                        HSL,       TAKE1,           "ngx_http_proxy_module"),
    d("proxy_next_upstream",                 HSL,       MORE1,           "ngx_http_proxy_module"),
    d("proxy_next_upstream",                 ST,        FLAG,            "ngx_stream_proxy_module"),
    d("proxy_next_upstream_timeout",         HSL,       TAKE1,           "ngx_http_proxy_module"),
    d("proxy_next_upstream_timeout",         ST,        TAKE1,           "ngx_stream_proxy_module"),
    d("proxy_next_upstream_tries",           HSL,       TAKE1,           "ngx_http_proxy_module"),
    d("proxy_next_upstream_tries",           ST,        TAKE1,           "ngx_stream_proxy_module"),
    d("proxy_no_cache",                      HSL,       MORE1,           "ngx_http_proxy_module"),
    d("proxy_pass",                          LFX,       TAKE1,           "ngx_http_proxy_module"),
    d("proxy_pass",                          STREAM_SRV, TAKE1,           "ngx_stream_proxy_module"),
    d("proxy_pass_error_message",            MN,        FLAG,            "ngx_mail_proxy_module"),
    d("proxy_pass_header",                   HSL,       TAKE1,           "ngx_http_proxy_module"),
    d("proxy_pass_request_body",             HSL,       FLAG,            "ngx_http_proxy_module"),
    d("proxy_pass_request_headers",          HSL,       FLAG,            "ngx_http_proxy_module"),
    d("proxy_pass_trailers",                 HSL,       FLAG,            "ngx_http_proxy_module"),
    d("proxy_protocol",                      MN,        FLAG,            "ngx_mail_proxy_module"),
    d("proxy_protocol",                      ST,        FLAG,            "ngx_stream_proxy_module"),
    d("proxy_protocol_timeout",              ST,        TAKE1,           "ngx_stream_core_module"),
    d("proxy_read_timeout",                  HSL,       TAKE1,           "ngx_http_proxy_module"),
    d("proxy_redirect",                      HSL,       TAKE12,          "ngx_http_proxy_module"),
    d("proxy_request_buffering",             HSL,       FLAG,            "ngx_http_proxy_module"),
    d("proxy_request_dynamic",               HSL,       FLAG,            "ngx_http_proxy_module (NGINX Plus)"),
    d("proxy_requests",                      ST,        TAKE1,           "ngx_stream_proxy_module"),
    d("proxy_responses",                     ST,        TAKE1,           "ngx_stream_proxy_module"),
    d("proxy_send_lowat",                    HSL,       TAKE1,           "ngx_http_proxy_module"),
    d("proxy_send_timeout",                  HSL,       TAKE1,           "ngx_http_proxy_module"),
    d("proxy_session_drop",                  ST,        FLAG,            "ngx_stream_proxy_module (NGINX Plus)"),
    d("proxy_set_body",                      HSL,       TAKE1,           "ngx_http_proxy_module"),
    d("proxy_set_header",                    HSL,       TAKE2,           "ngx_http_proxy_module"),
    d("proxy_smtp_auth",                     MN,        FLAG,            "ngx_mail_proxy_module"),
    d("proxy_socket_keepalive",              HSL,       FLAG,            "ngx_http_proxy_module"),
    d("proxy_socket_keepalive",              ST,        FLAG,            "ngx_stream_proxy_module"),
    d("proxy_ssl",                           ST,        FLAG,            "ngx_stream_proxy_module"),
    d("proxy_ssl_alpn",                      ST,        MORE1,           "ngx_stream_proxy_module"),
    d("proxy_ssl_certificate",               HSL,       TAKE1,           "ngx_http_proxy_module"),
    d("proxy_ssl_certificate",               ST,        TAKE1,           "ngx_stream_proxy_module"),
    d("proxy_ssl_certificate_by_lua_block",  LF,        BLOCK | NOARGS,  "ngx_http_lua_module (third-party)"),
    d("proxy_ssl_certificate_by_lua_file",   LF,        TAKE1,           "ngx_http_lua_module (third-party)"),
    d("proxy_ssl_certificate_cache",         HSL,       TAKE123,         "ngx_http_proxy_module"),
    d("proxy_ssl_certificate_cache",         ST,        TAKE123,         "ngx_stream_proxy_module"),
    d("proxy_ssl_certificate_key",           HSL,       TAKE1,           "ngx_http_proxy_module"),
    d("proxy_ssl_certificate_key",           ST,        TAKE1,           "ngx_stream_proxy_module"),
    d("proxy_ssl_ciphers",                   HSL,       TAKE1,           "ngx_http_proxy_module"),
    d("proxy_ssl_ciphers",                   ST,        TAKE1,           "ngx_stream_proxy_module"),
    d("proxy_ssl_conf_command",              HSL,       TAKE2,           "ngx_http_proxy_module"),
    d("proxy_ssl_conf_command",              ST,        TAKE2,           "ngx_stream_proxy_module"),
    d("proxy_ssl_crl",                       HSL,       TAKE1,           "ngx_http_proxy_module"),
    d("proxy_ssl_crl",                       ST,        TAKE1,           "ngx_stream_proxy_module"),
    d("proxy_ssl_key_log",                   HSL,       TAKE1,           "ngx_http_proxy_module (NGINX Plus)"),
    d("proxy_ssl_key_log",                   ST,        TAKE1,           "ngx_stream_proxy_module (NGINX Plus)"),
    d("proxy_ssl_name",                      HSL,       TAKE1,           "ngx_http_proxy_module"),
    d("proxy_ssl_name",                      ST,        TAKE1,           "ngx_stream_proxy_module"),
    d("proxy_ssl_password_file",             HSL,       TAKE1,           "ngx_http_proxy_module"),
    d("proxy_ssl_password_file",             ST,        TAKE1,           "ngx_stream_proxy_module"),
    d("proxy_ssl_protocols",                 HSL,       MORE1,           "ngx_http_proxy_module"),
    d("proxy_ssl_protocols",                 ST,        MORE1,           "ngx_stream_proxy_module"),
    d("proxy_ssl_server_name",               HSL,       FLAG,            "ngx_http_proxy_module"),
    d("proxy_ssl_server_name",               ST,        FLAG,            "ngx_stream_proxy_module"),
    d("proxy_ssl_session_reuse",             HSL,       FLAG,            "ngx_http_proxy_module"),
    d("proxy_ssl_session_reuse",             ST,        FLAG,            "ngx_stream_proxy_module"),
    d("proxy_ssl_trusted_certificate",       HSL,       TAKE1,           "ngx_http_proxy_module"),
    d("proxy_ssl_trusted_certificate",       ST,        TAKE1,           "ngx_stream_proxy_module"),
    d("proxy_ssl_verify",                    HSL,       FLAG,            "ngx_http_proxy_module"),
    d("proxy_ssl_verify",                    ST,        FLAG,            "ngx_stream_proxy_module"),
    d("proxy_ssl_verify_by_lua_block",       LF,        BLOCK | NOARGS,  "ngx_http_lua_module (third-party)"),
    d("proxy_ssl_verify_by_lua_file",        LF,        TAKE1,           "ngx_http_lua_module (third-party)"),
    d("proxy_ssl_verify_depth",              HSL,       TAKE1,           "ngx_http_proxy_module"),
    d("proxy_ssl_verify_depth",              ST,        TAKE1,           "ngx_stream_proxy_module"),
    d("proxy_store",                         HSL,       TAKE1,           "ngx_http_proxy_module"),
    d("proxy_store_access",                  HSL,       TAKE123,         "ngx_http_proxy_module"),
    d("proxy_temp_file_write_size",          HSL,       TAKE1,           "ngx_http_proxy_module"),
    d("proxy_temp_path",                     HSL,       TAKE1234,        "ngx_http_proxy_module"),
    d("proxy_timeout",                       MN,        TAKE1,           "ngx_mail_proxy_module"),
    d("proxy_timeout",                       ST,        TAKE1,           "ngx_stream_proxy_module"),
    d("proxy_upload_rate",                   ST,        TAKE1,           "ngx_stream_proxy_module"),
    d("push_stream_allow_connections_to_events_channel", HSLF,      TAKE1,           "ngx_http_push_stream_module (third-party)"),
    d("push_stream_allowed_origins",         HSL,       TAKE1,           "ngx_http_push_stream_module (third-party)"),
    d("push_stream_authorized_channels_only", HSL,       TAKE1,           "ngx_http_push_stream_module (third-party)"),
    d("push_stream_channel_deleted_message_text", HTTP,      TAKE1,           "ngx_http_push_stream_module (third-party)"),
    d("push_stream_channel_inactivity_time", HTTP,      TAKE1,           "ngx_http_push_stream_module (third-party)"),
    d("push_stream_channel_info_on_publish", HSL,       TAKE1,           "ngx_http_push_stream_module (third-party)"),
    d("push_stream_channels_path",           HSLF,      TAKE1,           "ngx_http_push_stream_module (third-party)"),
    d("push_stream_channels_statistics",     HTTP_LOC,  NOARGS,          "ngx_http_push_stream_module (third-party)"),
    d("push_stream_events_channel_id",       HTTP,      TAKE1,           "ngx_http_push_stream_module (third-party)"),
    d("push_stream_footer_template",         HSL,       TAKE1,           "ngx_http_push_stream_module (third-party)"),
    d("push_stream_header_template",         HSL,       TAKE1,           "ngx_http_push_stream_module (third-party)"),
    d("push_stream_header_template_file",    HSL,       TAKE1,           "ngx_http_push_stream_module (third-party)"),
    d("push_stream_last_event_id",           HSLF,      TAKE1,           "ngx_http_push_stream_module (third-party)"),
    d("push_stream_last_received_message_tag", HSLF,      TAKE1,           "ngx_http_push_stream_module (third-party)"),
    d("push_stream_last_received_message_time", HSLF,      TAKE1,           "ngx_http_push_stream_module (third-party)"),
    d("push_stream_longpolling_connection_ttl", HSL,       TAKE1,           "ngx_http_push_stream_module (third-party)"),
    d("push_stream_max_channel_id_length",   HTTP,      TAKE1,           "ngx_http_push_stream_module (third-party)"),
    d("push_stream_max_messages_stored_per_channel", HTTP,      TAKE1,           "ngx_http_push_stream_module (third-party)"),
    d("push_stream_max_number_of_channels",  HTTP,      TAKE1,           "ngx_http_push_stream_module (third-party)"),
    d("push_stream_max_number_of_wildcard_channels", HTTP,      TAKE1,           "ngx_http_push_stream_module (third-party)"),
    d("push_stream_max_subscribers_per_channel", HTTP,      TAKE1,           "ngx_http_push_stream_module (third-party)"),
    d("push_stream_message_template",        HSL,       TAKE1,           "ngx_http_push_stream_module (third-party)"),
    d("push_stream_message_ttl",             HTTP,      TAKE1,           "ngx_http_push_stream_module (third-party)"),
    d("push_stream_padding_by_user_agent",   HSL,       TAKE1,           "ngx_http_push_stream_module (third-party)"),
    d("push_stream_ping_message_interval",   HSL,       TAKE1,           "ngx_http_push_stream_module (third-party)"),
    d("push_stream_ping_message_text",       HTTP,      TAKE1,           "ngx_http_push_stream_module (third-party)"),
    d("push_stream_publisher",               HTTP_LOC,  NOARGS | TAKE1,  "ngx_http_push_stream_module (third-party)"),
    d("push_stream_shared_memory_size",      HTTP,      TAKE12,          "ngx_http_push_stream_module (third-party)"),
    d("push_stream_store_messages",          HSLF,      TAKE1,           "ngx_http_push_stream_module (third-party)"),
    d("push_stream_subscriber",              HTTP_LOC,  NOARGS | TAKE1,  "ngx_http_push_stream_module (third-party)"),
    d("push_stream_subscriber_connection_ttl", HSL,       TAKE1,           "ngx_http_push_stream_module (third-party)"),
    d("push_stream_timeout_with_body",       HTTP,      TAKE1,           "ngx_http_push_stream_module (third-party)"),
    d("push_stream_user_agent",              HSL,       TAKE1,           "ngx_http_push_stream_module (third-party)"),
    d("push_stream_websocket_allow_publish", HSL,       TAKE1,           "ngx_http_push_stream_module (third-party)"),
    d("push_stream_wildcard_channel_max_qtd", HSL,       TAKE1,           "ngx_http_push_stream_module (third-party)"),
    d("push_stream_wildcard_channel_prefix", HTTP,      TAKE1,           "ngx_http_push_stream_module (third-party)"),
    d("queue",                               HTTP_UPS,  TAKE12,          "ngx_http_upstream_module (NGINX Plus)"),
    d("quic_active_connection_id_limit",     HS,        TAKE1,           "ngx_http_v3_module"),
    d("quic_bpf",                            MAIN,      FLAG,            "ngx_quic_bpf_module"),
    d("quic_gso",                            HS,        FLAG,            "ngx_http_v3_module"),
    d("quic_host_key",                       HS,        TAKE1,           "ngx_http_v3_module"),
    d("quic_retry",                          HS,        FLAG,            "ngx_http_v3_module"),
    d("random",                              HTTP_UPS,  NOARGS | TAKE12, "ngx_http_upstream_random_module"),
    d("random",                              STREAM_UPS, NOARGS | TAKE12, "ngx_stream_upstream_random_module"),
    d("random_index",                        HTTP_LOC,  FLAG,            "ngx_http_random_index_module"),
    d("read_ahead",                          HSL,       TAKE1,           "ngx_http_core_module"),
    d("real_ip_header",                      HSL,       TAKE1,           "ngx_http_realip_module"),
    d("real_ip_recursive",                   HSL,       FLAG,            "ngx_http_realip_module"),
    d("recursive_error_pages",               HSL,       FLAG,            "ngx_http_core_module"),
    d("referer_hash_bucket_size",            SL,        TAKE1,           "ngx_http_referer_module"),
    d("referer_hash_max_size",               SL,        TAKE1,           "ngx_http_referer_module"),
    d("request_pool_size",                   HS,        TAKE1,           "ngx_http_core_module"),
    d("reset_timedout_connection",           HSL,       FLAG,            "ngx_http_core_module"),
    d("resolver",                            HSL,       MORE1,           "ngx_http_core_module"),
    d("resolver",                            HTTP_UPS,  MORE1,           "ngx_http_upstream_module"),
    d("resolver",                            MN,        MORE1,           "ngx_mail_core_module"),
    d("resolver",                            ST,        MORE1,           "ngx_stream_core_module"),
    d("resolver",                            STREAM_UPS, MORE1,           "ngx_stream_upstream_module"),
    d("resolver_timeout",                    HSL,       TAKE1,           "ngx_http_core_module"),
    d("resolver_timeout",                    HTTP_UPS,  TAKE1,           "ngx_http_upstream_module"),
    d("resolver_timeout",                    MN,        TAKE1,           "ngx_mail_core_module"),
    d("resolver_timeout",                    ST,        TAKE1,           "ngx_stream_core_module"),
    d("resolver_timeout",                    STREAM_UPS, TAKE1,           "ngx_stream_upstream_module"),
    d("return",                              SILF,      TAKE12,          "ngx_http_rewrite_module"),
    d("return",                              STREAM_SRV, TAKE1,           "ngx_stream_return_module"),
    d("rewrite",                             SILF,      TAKE23,          "ngx_http_rewrite_module"),
    d("rewrite_by_lua",                      HSLF,      TAKE1,           "ngx_http_lua_module (third-party)"),
    d("rewrite_by_lua_block",                HSLF,      BLOCK | NOARGS,  "ngx_http_lua_module (third-party)"),
    d("rewrite_by_lua_file",                 HSLF,      TAKE1,           "ngx_http_lua_module (third-party)"),
    d("rewrite_by_lua_no_postpone",          HTTP,      FLAG,            "ngx_http_lua_module (third-party)"),
    d("rewrite_log",                         HSILF,     FLAG,            "ngx_http_rewrite_module"),
    d("root",                                HSLF,      TAKE1,           "ngx_http_core_module"),
    d("rtmp",                                MAIN,      BLOCK | NOARGS,  "ngx_rtmp_module (third-party)"),
    d("satisfy",                             HSL,       TAKE1,           "ngx_http_core_module"),
    d("scgi_allow_upstream",                 HSL,       MORE1,           "ngx_http_scgi_module (NGINX Plus)"),
    d("scgi_bind",                           HSL,       TAKE12,          "ngx_http_scgi_module"),
    d("scgi_bind_dynamic",                   HSL,       FLAG,            "ngx_http_scgi_module (NGINX Plus)"),
    d("scgi_buffer_size",                    HSL,       TAKE1,           "ngx_http_scgi_module"),
    d("scgi_buffering",                      HSL,       FLAG,            "ngx_http_scgi_module"),
    d("scgi_buffers",                        HSL,       TAKE2,           "ngx_http_scgi_module"),
    d("scgi_busy_buffers_size",              HSL,       TAKE1,           "ngx_http_scgi_module"),
    d("scgi_cache",                          HSL,       TAKE1,           "ngx_http_scgi_module"),
    d("scgi_cache_background_update",        HSL,       FLAG,            "ngx_http_scgi_module"),
    d("scgi_cache_bypass",                   HSL,       MORE1,           "ngx_http_scgi_module"),
    d("scgi_cache_key",                      HSL,       TAKE1,           "ngx_http_scgi_module"),
    d("scgi_cache_lock",                     HSL,       FLAG,            "ngx_http_scgi_module"),
    d("scgi_cache_lock_age",                 HSL,       TAKE1,           "ngx_http_scgi_module"),
    d("scgi_cache_lock_timeout",             HSL,       TAKE1,           "ngx_http_scgi_module"),
    d("scgi_cache_max_range_offset",         HSL,       TAKE1,           "ngx_http_scgi_module"),
    d("scgi_cache_methods",                  HSL,       MORE1,           "ngx_http_scgi_module"),
    d("scgi_cache_min_uses",                 HSL,       TAKE1,           "ngx_http_scgi_module"),
    d("scgi_cache_path",                     HTTP,      MORE2,           "ngx_http_scgi_module"),
    d("scgi_cache_purge",                    HSL,       MORE1,           "ngx_cache_purge_module (third-party)"),
    d("scgi_cache_purge",                    HSL,       MORE1,           "ngx_http_scgi_module (NGINX Plus)"),
    d("scgi_cache_revalidate",               HSL,       FLAG,            "ngx_http_scgi_module"),
    d("scgi_cache_use_stale",                HSL,       MORE1,           "ngx_http_scgi_module"),
    d("scgi_cache_valid",                    HSL,       MORE1,           "ngx_http_scgi_module"),
    d("scgi_connect_timeout",                HSL,       TAKE1,           "ngx_http_scgi_module"),
    d("scgi_force_ranges",                   HSL,       FLAG,            "ngx_http_scgi_module"),
    d("scgi_hide_header",                    HSL,       TAKE1,           "ngx_http_scgi_module"),
    d("scgi_ignore_client_abort",            HSL,       FLAG,            "ngx_http_scgi_module"),
    d("scgi_ignore_headers",                 HSL,       MORE1,           "ngx_http_scgi_module"),
    d("scgi_intercept_errors",               HSL,       FLAG,            "ngx_http_scgi_module"),
    d("scgi_limit_rate",                     HSL,       TAKE1,           "ngx_http_scgi_module"),
    d("scgi_max_temp_file_size",             HSL,       TAKE1,           "ngx_http_scgi_module"),
    d("scgi_next_upstream",                  HSL,       MORE1,           "ngx_http_scgi_module"),
    d("scgi_next_upstream_timeout",          HSL,       TAKE1,           "ngx_http_scgi_module"),
    d("scgi_next_upstream_tries",            HSL,       TAKE1,           "ngx_http_scgi_module"),
    d("scgi_no_cache",                       HSL,       MORE1,           "ngx_http_scgi_module"),
    d("scgi_param",                          HSL,       TAKE23,          "ngx_http_scgi_module"),
    d("scgi_pass",                           LF,        TAKE1,           "ngx_http_scgi_module"),
    d("scgi_pass_header",                    HSL,       TAKE1,           "ngx_http_scgi_module"),
    d("scgi_pass_request_body",              HSL,       FLAG,            "ngx_http_scgi_module"),
    d("scgi_pass_request_headers",           HSL,       FLAG,            "ngx_http_scgi_module"),
    d("scgi_read_timeout",                   HSL,       TAKE1,           "ngx_http_scgi_module"),
    d("scgi_request_buffering",              HSL,       FLAG,            "ngx_http_scgi_module"),
    d("scgi_request_dynamic",                HSL,       FLAG,            "ngx_http_scgi_module (NGINX Plus)"),
    d("scgi_send_timeout",                   HSL,       TAKE1,           "ngx_http_scgi_module"),
    d("scgi_socket_keepalive",               HSL,       FLAG,            "ngx_http_scgi_module"),
    d("scgi_store",                          HSL,       TAKE1,           "ngx_http_scgi_module"),
    d("scgi_store_access",                   HSL,       TAKE123,         "ngx_http_scgi_module"),
    d("scgi_temp_file_write_size",           HSL,       TAKE1,           "ngx_http_scgi_module"),
    d("scgi_temp_path",                      HSL,       TAKE1234,        "ngx_http_scgi_module"),
    d("secure_link",                         HSL,       TAKE1,           "ngx_http_secure_link_module"),
    d("secure_link_md5",                     HSL,       TAKE1,           "ngx_http_secure_link_module"),
    d("secure_link_secret",                  HSL,       TAKE1,           "ngx_http_secure_link_module"),
    d("send_lowat",                          HSL,       TAKE1,           "ngx_http_core_module"),
    d("send_timeout",                        HSL,       TAKE1,           "ngx_http_core_module"),
    d("sendfile",                            HSLF,      FLAG,            "ngx_http_core_module"),
    d("sendfile_max_chunk",                  HSL,       TAKE1,           "ngx_http_core_module"),
    d("server",                              HTTP,      BLOCK | NOARGS,  "ngx_http_core_module"),
    d("server",                              HTTP_UPS,  MORE1,           "ngx_http_upstream_module"),
    d("server",                              MAIL,      BLOCK | NOARGS,  "ngx_mail_core_module"),
    d("server",                              STREAM,    BLOCK | NOARGS,  "ngx_stream_core_module"),
    d("server",                              STREAM_UPS, MORE1,           "ngx_stream_upstream_module"),
    d("server_name",                         HTTP_SRV,  MORE1,           "ngx_http_core_module"),
    d("server_name",                         MN,        TAKE1,           "ngx_mail_core_module"),
    d("server_name",                         STREAM_SRV, MORE1,           "ngx_stream_core_module"),
    d("server_name_in_redirect",             HSL,       FLAG,            "ngx_http_core_module"),
    d("server_names_hash_bucket_size",       HTTP,      TAKE1,           "ngx_http_core_module"),
    d("server_names_hash_bucket_size",       STREAM,    TAKE1,           "ngx_stream_core_module"),
    d("server_names_hash_max_size",          HTTP,      TAKE1,           "ngx_http_core_module"),
    d("server_names_hash_max_size",          STREAM,    TAKE1,           "ngx_stream_core_module"),
    d("server_rewrite_by_lua_block",         HS,        BLOCK | NOARGS,  "ngx_http_lua_module (third-party)"),
    d("server_rewrite_by_lua_file",          HS,        TAKE1,           "ngx_http_lua_module (third-party)"),
    d("server_tokens",                       HSL,       TAKE1,           "ngx_http_core_module"),
    d("session_log",                         HSL,       TAKE1,           "ngx_http_session_log_module (NGINX Plus)"),
    d("session_log_format",                  HTTP,      MORE2,           "ngx_http_session_log_module (NGINX Plus)"),
    d("session_log_zone",                    HTTP,      MORE2,           "ngx_http_session_log_module (NGINX Plus)"),
    d("set",                                 SILF,      TAKE2,           "ngx_http_rewrite_module"),
    d("set",                                 STREAM_SRV, TAKE2,           "ngx_stream_set_module"),
    d("set_base32_alphabet",                 HSILF,     TAKE1,           "ngx_http_set_misc_module (third-party)"),
    d("set_base32_padding",                  HSILF,     FLAG,            "ngx_http_set_misc_module (third-party)"),
    d("set_by_lua",                          SILF,      MORE2,           "ngx_http_lua_module (third-party)"),
    d("set_by_lua_block",                    SILF,      BLOCK | TAKE1,   "ngx_http_lua_module (third-party)"),
    d("set_by_lua_file",                     SILF,      MORE2,           "ngx_http_lua_module (third-party)"),
    d("set_consistent_hashed_upstream",      HSILF,     TAKE3,           "ngx_http_set_misc_module (third-party)"),
    d("set_decode_base32",                   HSILF,     TAKE12,          "ngx_http_set_misc_module (third-party)"),
    d("set_decode_base64",                   HSILF,     TAKE12,          "ngx_http_set_misc_module (third-party)"),
    d("set_decode_base64url",                HSILF,     TAKE12,          "ngx_http_set_misc_module (third-party)"),
    d("set_decode_hex",                      HSILF,     TAKE12,          "ngx_http_set_misc_module (third-party)"),
    d("set_encode_base32",                   HSILF,     TAKE12,          "ngx_http_set_misc_module (third-party)"),
    d("set_encode_base64",                   HSILF,     TAKE12,          "ngx_http_set_misc_module (third-party)"),
    d("set_encode_base64url",                HSILF,     TAKE12,          "ngx_http_set_misc_module (third-party)"),
    d("set_encode_hex",                      HSILF,     TAKE12,          "ngx_http_set_misc_module (third-party)"),
    d("set_escape_uri",                      HSILF,     TAKE12,          "ngx_http_set_misc_module (third-party)"),
    d("set_formatted_gmt_time",              HSILF,     TAKE2,           "ngx_http_set_misc_module (third-party)"),
    d("set_formatted_local_time",            HSILF,     TAKE2,           "ngx_http_set_misc_module (third-party)"),
    d("set_hashed_upstream",                 HSILF,     TAKE3,           "ngx_http_set_misc_module (third-party)"),
    d("set_hmac_sha1",                       HSILF,     TAKE3,           "ngx_http_set_misc_module (third-party)"),
    d("set_hmac_sha256",                     HSILF,     TAKE3,           "ngx_http_set_misc_module (third-party)"),
    d("set_if_empty",                        HSILF,     TAKE2,           "ngx_http_set_misc_module (third-party)"),
    d("set_local_today",                     HSILF,     TAKE1,           "ngx_http_set_misc_module (third-party)"),
    d("set_md5",                             HSILF,     TAKE12,          "ngx_http_set_misc_module (third-party)"),
    d("set_misc_base32_padding",             HSILF,     FLAG,            "ngx_http_set_misc_module (third-party)"),
    d("set_quote_json_str",                  HSILF,     TAKE12,          "ngx_http_set_misc_module (third-party)"),
    d("set_quote_pgsql_str",                 HSILF,     TAKE12,          "ngx_http_set_misc_module (third-party)"),
    d("set_quote_sql_str",                   HSILF,     TAKE12,          "ngx_http_set_misc_module (third-party)"),
    d("set_random",                          HSILF,     TAKE3,           "ngx_http_set_misc_module (third-party)"),
    d("set_real_ip_from",                    HSL,       TAKE1,           "ngx_http_realip_module"),
    d("set_real_ip_from",                    MN,        TAKE1,           "ngx_mail_realip_module"),
    d("set_real_ip_from",                    ST,        TAKE1,           "ngx_stream_realip_module"),
    d("set_rotate",                          HSILF,     TAKE3,           "ngx_http_set_misc_module (third-party)"),
    d("set_secure_random_alphanum",          HSILF,     TAKE12,          "ngx_http_set_misc_module (third-party)"),
    d("set_secure_random_lcalpha",           HSILF,     TAKE12,          "ngx_http_set_misc_module (third-party)"),
    d("set_sha1",                            HSILF,     TAKE12,          "ngx_http_set_misc_module (third-party)"),
    d("set_unescape_uri",                    HSILF,     TAKE12,          "ngx_http_set_misc_module (third-party)"),
    d("slice",                               HSL,       TAKE1,           "ngx_http_slice_module"),
    d("smtp_auth",                           MN,        MORE1,           "ngx_mail_smtp_module"),
    d("smtp_capabilities",                   MN,        MORE1,           "ngx_mail_smtp_module"),
    d("smtp_client_buffer",                  MN,        TAKE1,           "ngx_mail_smtp_module"),
    d("smtp_greeting_delay",                 MN,        TAKE1,           "ngx_mail_smtp_module"),
    d("source_charset",                      HSLF,      TAKE1,           "ngx_http_charset_module"),
    d("split_clients",                       HTTP,      BLOCK | TAKE2,   "ngx_http_split_clients_module"),
    d("split_clients",                       STREAM,    BLOCK | TAKE2,   "ngx_stream_split_clients_module"),
    d("ssi",                                 HSLF,      FLAG,            "ngx_http_ssi_module"),
    d("ssi_last_modified",                   HSL,       FLAG,            "ngx_http_ssi_module"),
    d("ssi_min_file_chunk",                  HSL,       TAKE1,           "ngx_http_ssi_module"),
    d("ssi_silent_errors",                   HSL,       FLAG,            "ngx_http_ssi_module"),
    d("ssi_types",                           HSL,       MORE1,           "ngx_http_ssi_module"),
    d("ssi_value_length",                    HSL,       TAKE1,           "ngx_http_ssi_module"),
    d("ssl",                                 HS,        FLAG,            "ngx_http_ssl_module (obsolete)"),
    d("ssl",                                 MN,        FLAG,            "ngx_mail_ssl_module (obsolete)"),
    d("ssl_alpn",                            ST,        MORE1,           "ngx_stream_ssl_module"),
    d("ssl_buffer_size",                     HS,        TAKE1,           "ngx_http_ssl_module"),
    d("ssl_certificate",                     HS,        TAKE1,           "ngx_http_ssl_module"),
    d("ssl_certificate",                     MN,        TAKE1,           "ngx_mail_ssl_module"),
    d("ssl_certificate",                     ST,        TAKE1,           "ngx_stream_ssl_module"),
    d("ssl_certificate_by_lua_block",        HS,        BLOCK | NOARGS,  "ngx_http_lua_module (third-party)"),
    d("ssl_certificate_by_lua_block",        ST,        BLOCK | NOARGS,  "ngx_stream_lua_module (third-party)"),
    d("ssl_certificate_by_lua_file",         HS,        TAKE1,           "ngx_http_lua_module (third-party)"),
    d("ssl_certificate_by_lua_file",         ST,        TAKE1,           "ngx_stream_lua_module (third-party)"),
    d("ssl_certificate_cache",               HS,        TAKE123,         "ngx_http_ssl_module"),
    d("ssl_certificate_cache",               ST,        TAKE123,         "ngx_stream_ssl_module"),
    d("ssl_certificate_compression",         HS,        FLAG,            "ngx_http_ssl_module"),
    d("ssl_certificate_compression",         MN,        FLAG,            "ngx_mail_ssl_module"),
    d("ssl_certificate_compression",         ST,        FLAG,            "ngx_stream_ssl_module"),
    d("ssl_certificate_key",                 HS,        TAKE1,           "ngx_http_ssl_module"),
    d("ssl_certificate_key",                 MN,        TAKE1,           "ngx_mail_ssl_module"),
    d("ssl_certificate_key",                 ST,        TAKE1,           "ngx_stream_ssl_module"),
    d("ssl_ciphers",                         HS,        TAKE1,           "ngx_http_ssl_module"),
    d("ssl_ciphers",                         MN,        TAKE1,           "ngx_mail_ssl_module"),
    d("ssl_ciphers",                         ST,        TAKE1,           "ngx_stream_ssl_module"),
    d("ssl_client_certificate",              HS,        TAKE1,           "ngx_http_ssl_module"),
    d("ssl_client_certificate",              MN,        TAKE1,           "ngx_mail_ssl_module"),
    d("ssl_client_certificate",              ST,        TAKE1,           "ngx_stream_ssl_module"),
    d("ssl_client_hello_by_lua_block",       HS,        BLOCK | NOARGS,  "ngx_http_lua_module (third-party)"),
    d("ssl_client_hello_by_lua_block",       ST,        BLOCK | NOARGS,  "ngx_stream_lua_module (third-party)"),
    d("ssl_client_hello_by_lua_file",        HS,        TAKE1,           "ngx_http_lua_module (third-party)"),
    d("ssl_client_hello_by_lua_file",        ST,        TAKE1,           "ngx_stream_lua_module (third-party)"),
    d("ssl_conf_command",                    HS,        TAKE2,           "ngx_http_ssl_module"),
    d("ssl_conf_command",                    MN,        TAKE2,           "ngx_mail_ssl_module"),
    d("ssl_conf_command",                    ST,        TAKE2,           "ngx_stream_ssl_module"),
    d("ssl_crl",                             HS,        TAKE1,           "ngx_http_ssl_module"),
    d("ssl_crl",                             MN,        TAKE1,           "ngx_mail_ssl_module"),
    d("ssl_crl",                             ST,        TAKE1,           "ngx_stream_ssl_module"),
    d("ssl_dhparam",                         HS,        TAKE1,           "ngx_http_ssl_module"),
    d("ssl_dhparam",                         MN,        TAKE1,           "ngx_mail_ssl_module"),
    d("ssl_dhparam",                         ST,        TAKE1,           "ngx_stream_ssl_module"),
    d("ssl_early_data",                      HS,        FLAG,            "ngx_http_ssl_module"),
    d("ssl_ecdh_curve",                      HS,        TAKE1,           "ngx_http_ssl_module"),
    d("ssl_ecdh_curve",                      MN,        TAKE1,           "ngx_mail_ssl_module"),
    d("ssl_ecdh_curve",                      ST,        TAKE1,           "ngx_stream_ssl_module"),
    d("ssl_ech_file",                        HS,        TAKE1,           "ngx_http_ssl_module"),
    d("ssl_ech_file",                        ST,        TAKE1,           "ngx_stream_ssl_module"),
    d("ssl_engine",                          MAIN,      TAKE1,           "ngx_openssl_module"),
    d("ssl_handshake_timeout",               ST,        TAKE1,           "ngx_stream_ssl_module"),
    d("ssl_key_log",                         HS,        TAKE1,           "ngx_http_ssl_module (NGINX Plus)"),
    d("ssl_key_log",                         ST,        TAKE1,           "ngx_stream_ssl_module (NGINX Plus)"),
    d("ssl_object_cache_inheritable",        MAIN,      FLAG,            "ngx_openssl_module"),
    d("ssl_ocsp",                            HS,        TAKE1,           "ngx_http_ssl_module"),
    d("ssl_ocsp",                            ST,        TAKE1,           "ngx_stream_ssl_module"),
    d("ssl_ocsp_cache",                      HS,        TAKE1,           "ngx_http_ssl_module"),
    d("ssl_ocsp_cache",                      ST,        TAKE1,           "ngx_stream_ssl_module"),
    d("ssl_ocsp_responder",                  HS,        TAKE1,           "ngx_http_ssl_module"),
    d("ssl_ocsp_responder",                  ST,        TAKE1,           "ngx_stream_ssl_module"),
    d("ssl_password_file",                   HS,        TAKE1,           "ngx_http_ssl_module"),
    d("ssl_password_file",                   MN,        TAKE1,           "ngx_mail_ssl_module"),
    d("ssl_password_file",                   ST,        TAKE1,           "ngx_stream_ssl_module"),
    d("ssl_prefer_server_ciphers",           HS,        FLAG,            "ngx_http_ssl_module"),
    d("ssl_prefer_server_ciphers",           MN,        FLAG,            "ngx_mail_ssl_module"),
    d("ssl_prefer_server_ciphers",           ST,        FLAG,            "ngx_stream_ssl_module"),
    d("ssl_preread",                         ST,        FLAG,            "ngx_stream_ssl_preread_module"),
    d("ssl_protocols",                       HS,        MORE1,           "ngx_http_ssl_module"),
    d("ssl_protocols",                       MN,        MORE1,           "ngx_mail_ssl_module"),
    d("ssl_protocols",                       ST,        MORE1,           "ngx_stream_ssl_module"),
    d("ssl_reject_handshake",                HS,        FLAG,            "ngx_http_ssl_module"),
    d("ssl_reject_handshake",                ST,        FLAG,            "ngx_stream_ssl_module"),
    d("ssl_session_cache",                   HS,        TAKE12,          "ngx_http_ssl_module"),
    d("ssl_session_cache",                   MN,        TAKE12,          "ngx_mail_ssl_module"),
    d("ssl_session_cache",                   ST,        TAKE12,          "ngx_stream_ssl_module"),
    d("ssl_session_fetch_by_lua_block",      HTTP,      BLOCK | NOARGS,  "ngx_http_lua_module (third-party)"),
    d("ssl_session_fetch_by_lua_file",       HTTP,      TAKE1,           "ngx_http_lua_module (third-party)"),
    d("ssl_session_store_by_lua_block",      HTTP,      BLOCK | NOARGS,  "ngx_http_lua_module (third-party)"),
    d("ssl_session_store_by_lua_file",       HTTP,      TAKE1,           "ngx_http_lua_module (third-party)"),
    d("ssl_session_ticket_key",              HS,        TAKE1,           "ngx_http_ssl_module"),
    d("ssl_session_ticket_key",              MN,        TAKE1,           "ngx_mail_ssl_module"),
    d("ssl_session_ticket_key",              ST,        TAKE1,           "ngx_stream_ssl_module"),
    d("ssl_session_tickets",                 HS,        FLAG,            "ngx_http_ssl_module"),
    d("ssl_session_tickets",                 MN,        FLAG,            "ngx_mail_ssl_module"),
    d("ssl_session_tickets",                 ST,        FLAG,            "ngx_stream_ssl_module"),
    d("ssl_session_timeout",                 HS,        TAKE1,           "ngx_http_ssl_module"),
    d("ssl_session_timeout",                 MN,        TAKE1,           "ngx_mail_ssl_module"),
    d("ssl_session_timeout",                 ST,        TAKE1,           "ngx_stream_ssl_module"),
    d("ssl_stapling",                        HS,        FLAG,            "ngx_http_ssl_module"),
    d("ssl_stapling",                        ST,        FLAG,            "ngx_stream_ssl_module"),
    d("ssl_stapling_file",                   HS,        TAKE1,           "ngx_http_ssl_module"),
    d("ssl_stapling_file",                   ST,        TAKE1,           "ngx_stream_ssl_module"),
    d("ssl_stapling_responder",              HS,        TAKE1,           "ngx_http_ssl_module"),
    d("ssl_stapling_responder",              ST,        TAKE1,           "ngx_stream_ssl_module"),
    d("ssl_stapling_verify",                 HS,        FLAG,            "ngx_http_ssl_module"),
    d("ssl_stapling_verify",                 ST,        FLAG,            "ngx_stream_ssl_module"),
    d("ssl_trusted_certificate",             HS,        TAKE1,           "ngx_http_ssl_module"),
    d("ssl_trusted_certificate",             MN,        TAKE1,           "ngx_mail_ssl_module"),
    d("ssl_trusted_certificate",             ST,        TAKE1,           "ngx_stream_ssl_module"),
    d("ssl_verify_client",                   HS,        TAKE1,           "ngx_http_ssl_module"),
    d("ssl_verify_client",                   MN,        TAKE1,           "ngx_mail_ssl_module"),
    d("ssl_verify_client",                   ST,        TAKE1,           "ngx_stream_ssl_module"),
    d("ssl_verify_depth",                    HS,        TAKE1,           "ngx_http_ssl_module"),
    d("ssl_verify_depth",                    MN,        TAKE1,           "ngx_mail_ssl_module"),
    d("ssl_verify_depth",                    ST,        TAKE1,           "ngx_stream_ssl_module"),
    d("stall_threshold",                     EVENTS,    TAKE1,           "ngx_event_core_module (NGINX Plus)"),
    d("starttls",                            MN,        TAKE1,           "ngx_mail_ssl_module"),
    d("state",                               HTTP_UPS,  TAKE1,           "ngx_http_upstream_module (NGINX Plus)"),
    d("state",                               STREAM_UPS, TAKE1,           "ngx_stream_upstream_module (NGINX Plus)"),
    d("status",                              HTTP_LOC,  NOARGS,          "ngx_http_status_module (NGINX Plus, obsolete)"),
    d("status_format",                       HSL,       TAKE12,          "ngx_http_status_module (NGINX Plus, obsolete)"),
    d("status_zone",                         SLF,       TAKE1,           "ngx_http_api_module (NGINX Plus)"),
    d("status_zone",                         STREAM_SRV, TAKE1,           "ngx_stream_api_module (NGINX Plus)"),
    d("sticky",                              HTTP_UPS,  ANY,             "ngx_http_sticky_module (third-party)"),
    d("sticky",                              HTTP_UPS,  MORE2,           "ngx_http_upstream_module (NGINX Plus)"),
    d("sticky_hide_cookie",                  SL,        NOARGS,          "ngx_http_sticky_module (third-party)"),
    d("sticky_no_fallback",                  SL,        NOARGS,          "ngx_http_sticky_module (third-party)"),
    d("stream",                              MAIN,      BLOCK | NOARGS,  "ngx_stream_module"),
    d("stub_status",                         SL,        NOARGS | TAKE1,  "ngx_http_stub_status_module"),
    d("sub_filter",                          HSL,       TAKE2,           "ngx_http_sub_module"),
    d("sub_filter_last_modified",            HSL,       FLAG,            "ngx_http_sub_module"),
    d("sub_filter_once",                     HSL,       FLAG,            "ngx_http_sub_module"),
    d("sub_filter_types",                    HSL,       MORE1,           "ngx_http_sub_module"),
    d("subrequest_output_buffer_size",       HSL,       TAKE1,           "ngx_http_core_module"),
    d("subs_filter",                         HSL,       TAKE23,          "ngx_http_subs_filter_module (third-party)"),
    d("subs_filter_types",                   HSL,       MORE1,           "ngx_http_subs_filter_module (third-party)"),
    d("tcp_nodelay",                         HSL,       FLAG,            "ngx_http_core_module"),
    d("tcp_nodelay",                         ST,        FLAG,            "ngx_stream_core_module"),
    d("tcp_nopush",                          HSL,       FLAG,            "ngx_http_core_module"),
    d("thread_pool",                         MAIN,      TAKE23,          "ngx_thread_pool_module"),
    d("timeout",                             MN,        TAKE1,           "ngx_mail_core_module"),
    d("timer_resolution",                    MAIN,      TAKE1,           "ngx_core_module"),
    d("try_files",                           SL,        MORE2,           "ngx_http_core_module"),
    d("tunnel_allow_upstream",               HSL,       MORE1,           "ngx_http_tunnel_module (NGINX Plus)"),
    d("tunnel_bind",                         HSL,       TAKE12,          "ngx_http_tunnel_module (NGINX Plus)"),
    d("tunnel_bind_dynamic",                 HSL,       FLAG,            "ngx_http_tunnel_module (NGINX Plus)"),
    d("tunnel_buffer_size",                  HSL,       TAKE1,           "ngx_http_tunnel_module (NGINX Plus)"),
    d("tunnel_connect_timeout",              HSL,       TAKE1,           "ngx_http_tunnel_module (NGINX Plus)"),
    d("tunnel_next_upstream",                HSL,       MORE1,           "ngx_http_tunnel_module (NGINX Plus)"),
    d("tunnel_next_upstream_timeout",        HSL,       TAKE1,           "ngx_http_tunnel_module (NGINX Plus)"),
    d("tunnel_next_upstream_tries",          HSL,       TAKE1,           "ngx_http_tunnel_module (NGINX Plus)"),
    d("tunnel_pass",                         SLF,       NOARGS | TAKE1,  "ngx_http_tunnel_module (NGINX Plus)"),
    d("tunnel_read_timeout",                 HSL,       TAKE1,           "ngx_http_tunnel_module (NGINX Plus)"),
    d("tunnel_send_lowat",                   HSL,       TAKE1,           "ngx_http_tunnel_module (NGINX Plus)"),
    d("tunnel_send_timeout",                 HSL,       TAKE1,           "ngx_http_tunnel_module (NGINX Plus)"),
    d("tunnel_socket_keepalive",             HSL,       FLAG,            "ngx_http_tunnel_module (NGINX Plus)"),
    d("types",                               HSL,       BLOCK | NOARGS,  "ngx_http_core_module"),
    d("types_hash_bucket_size",              HSL,       TAKE1,           "ngx_http_core_module"),
    d("types_hash_max_size",                 HSL,       TAKE1,           "ngx_http_core_module"),
    d("underscores_in_headers",              HS,        FLAG,            "ngx_http_core_module"),
    d("uninitialized_variable_warn",         HSILF,     FLAG,            "ngx_http_rewrite_module"),
    d("upstream",                            HTTP,      BLOCK | TAKE1,   "ngx_http_upstream_module"),
    d("upstream",                            STREAM,    BLOCK | TAKE1,   "ngx_stream_upstream_module"),
    d("upstream_conf",                       HTTP_LOC,  NOARGS,          "ngx_http_upstream_conf_module (NGINX Plus, obsolete)"),
    d("use",                                 EVENTS,    TAKE1,           "ngx_event_core_module"),
    d("user",                                MAIN,      TAKE12,          "ngx_core_module"),
    d("userid",                              HSL,       TAKE1,           "ngx_http_userid_module"),
    d("userid_domain",                       HSL,       TAKE1,           "ngx_http_userid_module"),
    d("userid_expires",                      HSL,       TAKE1,           "ngx_http_userid_module"),
    d("userid_flags",                        HSL,       TAKE123,         "ngx_http_userid_module"),
    d("userid_mark",                         HSL,       TAKE1,           "ngx_http_userid_module"),
    d("userid_name",                         HSL,       TAKE1,           "ngx_http_userid_module"),
    d("userid_p3p",                          HSL,       TAKE1,           "ngx_http_userid_module"),
    d("userid_path",                         HSL,       TAKE1,           "ngx_http_userid_module"),
    d("userid_service",                      HSL,       TAKE1,           "ngx_http_userid_module"),
    d("uwsgi_allow_upstream",                HSL,       MORE1,           "ngx_http_uwsgi_module (NGINX Plus)"),
    d("uwsgi_bind",                          HSL,       TAKE12,          "ngx_http_uwsgi_module"),
    d("uwsgi_bind_dynamic",                  HSL,       FLAG,            "ngx_http_uwsgi_module (NGINX Plus)"),
    d("uwsgi_buffer_size",                   HSL,       TAKE1,           "ngx_http_uwsgi_module"),
    d("uwsgi_buffering",                     HSL,       FLAG,            "ngx_http_uwsgi_module"),
    d("uwsgi_buffers",                       HSL,       TAKE2,           "ngx_http_uwsgi_module"),
    d("uwsgi_busy_buffers_size",             HSL,       TAKE1,           "ngx_http_uwsgi_module"),
    d("uwsgi_cache",                         HSL,       TAKE1,           "ngx_http_uwsgi_module"),
    d("uwsgi_cache_background_update",       HSL,       FLAG,            "ngx_http_uwsgi_module"),
    d("uwsgi_cache_bypass",                  HSL,       MORE1,           "ngx_http_uwsgi_module"),
    d("uwsgi_cache_key",                     HSL,       TAKE1,           "ngx_http_uwsgi_module"),
    d("uwsgi_cache_lock",                    HSL,       FLAG,            "ngx_http_uwsgi_module"),
    d("uwsgi_cache_lock_age",                HSL,       TAKE1,           "ngx_http_uwsgi_module"),
    d("uwsgi_cache_lock_timeout",            HSL,       TAKE1,           "ngx_http_uwsgi_module"),
    d("uwsgi_cache_max_range_offset",        HSL,       TAKE1,           "ngx_http_uwsgi_module"),
    d("uwsgi_cache_methods",                 HSL,       MORE1,           "ngx_http_uwsgi_module"),
    d("uwsgi_cache_min_uses",                HSL,       TAKE1,           "ngx_http_uwsgi_module"),
    d("uwsgi_cache_path",                    HTTP,      MORE2,           "ngx_http_uwsgi_module"),
    d("uwsgi_cache_purge",                   HSL,       MORE1,           "ngx_cache_purge_module (third-party)"),
    d("uwsgi_cache_purge",                   HSL,       MORE1,           "ngx_http_uwsgi_module (NGINX Plus)"),
    d("uwsgi_cache_revalidate",              HSL,       FLAG,            "ngx_http_uwsgi_module"),
    d("uwsgi_cache_use_stale",               HSL,       MORE1,           "ngx_http_uwsgi_module"),
    d("uwsgi_cache_valid",                   HSL,       MORE1,           "ngx_http_uwsgi_module"),
    d("uwsgi_connect_timeout",               HSL,       TAKE1,           "ngx_http_uwsgi_module"),
    d("uwsgi_force_ranges",                  HSL,       FLAG,            "ngx_http_uwsgi_module"),
    d("uwsgi_hide_header",                   HSL,       TAKE1,           "ngx_http_uwsgi_module"),
    d("uwsgi_ignore_client_abort",           HSL,       FLAG,            "ngx_http_uwsgi_module"),
    d("uwsgi_ignore_headers",                HSL,       MORE1,           "ngx_http_uwsgi_module"),
    d("uwsgi_intercept_errors",              HSL,       FLAG,            "ngx_http_uwsgi_module"),
    d("uwsgi_limit_rate",                    HSL,       TAKE1,           "ngx_http_uwsgi_module"),
    d("uwsgi_max_temp_file_size",            HSL,       TAKE1,           "ngx_http_uwsgi_module"),
    d("uwsgi_modifier1",                     HSL,       TAKE1,           "ngx_http_uwsgi_module"),
    d("uwsgi_modifier2",                     HSL,       TAKE1,           "ngx_http_uwsgi_module"),
    d("uwsgi_next_upstream",                 HSL,       MORE1,           "ngx_http_uwsgi_module"),
    d("uwsgi_next_upstream_timeout",         HSL,       TAKE1,           "ngx_http_uwsgi_module"),
    d("uwsgi_next_upstream_tries",           HSL,       TAKE1,           "ngx_http_uwsgi_module"),
    d("uwsgi_no_cache",                      HSL,       MORE1,           "ngx_http_uwsgi_module"),
    d("uwsgi_param",                         HSL,       TAKE23,          "ngx_http_uwsgi_module"),
    d("uwsgi_pass",                          LF,        TAKE1,           "ngx_http_uwsgi_module"),
    d("uwsgi_pass_header",                   HSL,       TAKE1,           "ngx_http_uwsgi_module"),
    d("uwsgi_pass_request_body",             HSL,       FLAG,            "ngx_http_uwsgi_module"),
    d("uwsgi_pass_request_headers",          HSL,       FLAG,            "ngx_http_uwsgi_module"),
    d("uwsgi_read_timeout",                  HSL,       TAKE1,           "ngx_http_uwsgi_module"),
    d("uwsgi_request_buffering",             HSL,       FLAG,            "ngx_http_uwsgi_module"),
    d("uwsgi_request_dynamic",               HSL,       FLAG,            "ngx_http_uwsgi_module (NGINX Plus)"),
    d("uwsgi_send_timeout",                  HSL,       TAKE1,           "ngx_http_uwsgi_module"),
    d("uwsgi_socket_keepalive",              HSL,       FLAG,            "ngx_http_uwsgi_module"),
    d("uwsgi_ssl_certificate",               HSL,       TAKE1,           "ngx_http_uwsgi_module"),
    d("uwsgi_ssl_certificate_cache",         HSL,       TAKE123,         "ngx_http_uwsgi_module"),
    d("uwsgi_ssl_certificate_key",           HSL,       TAKE1,           "ngx_http_uwsgi_module"),
    d("uwsgi_ssl_ciphers",                   HSL,       TAKE1,           "ngx_http_uwsgi_module"),
    d("uwsgi_ssl_conf_command",              HSL,       TAKE2,           "ngx_http_uwsgi_module"),
    d("uwsgi_ssl_crl",                       HSL,       TAKE1,           "ngx_http_uwsgi_module"),
    d("uwsgi_ssl_key_log",                   HSL,       TAKE1,           "ngx_http_uwsgi_module (NGINX Plus)"),
    d("uwsgi_ssl_name",                      HSL,       TAKE1,           "ngx_http_uwsgi_module"),
    d("uwsgi_ssl_password_file",             HSL,       TAKE1,           "ngx_http_uwsgi_module"),
    d("uwsgi_ssl_protocols",                 HSL,       MORE1,           "ngx_http_uwsgi_module"),
    d("uwsgi_ssl_server_name",               HSL,       FLAG,            "ngx_http_uwsgi_module"),
    d("uwsgi_ssl_session_reuse",             HSL,       FLAG,            "ngx_http_uwsgi_module"),
    d("uwsgi_ssl_trusted_certificate",       HSL,       TAKE1,           "ngx_http_uwsgi_module"),
    d("uwsgi_ssl_verify",                    HSL,       FLAG,            "ngx_http_uwsgi_module"),
    d("uwsgi_ssl_verify_depth",              HSL,       TAKE1,           "ngx_http_uwsgi_module"),
    d("uwsgi_store",                         HSL,       TAKE1,           "ngx_http_uwsgi_module"),
    d("uwsgi_store_access",                  HSL,       TAKE123,         "ngx_http_uwsgi_module"),
    d("uwsgi_temp_file_write_size",          HSL,       TAKE1,           "ngx_http_uwsgi_module"),
    d("uwsgi_temp_path",                     HSL,       TAKE1234,        "ngx_http_uwsgi_module"),
    d("valid_referers",                      SL,        MORE1,           "ngx_http_referer_module"),
    d("variables_hash_bucket_size",          HTTP,      TAKE1,           "ngx_http_core_module"),
    d("variables_hash_bucket_size",          STREAM,    TAKE1,           "ngx_stream_core_module"),
    d("variables_hash_max_size",             HTTP,      TAKE1,           "ngx_http_core_module"),
    d("variables_hash_max_size",             STREAM,    TAKE1,           "ngx_stream_core_module"),
    d("vhost_traffic_status",                HSL,       FLAG,            "ngx_http_vhost_traffic_status_module (third-party)"),
    d("vhost_traffic_status_average_method", HSL,       TAKE12,          "ngx_http_vhost_traffic_status_module (third-party)"),
    d("vhost_traffic_status_bypass_limit",   HSL,       FLAG,            "ngx_http_vhost_traffic_status_module (third-party)"),
    d("vhost_traffic_status_bypass_stats",   HSL,       FLAG,            "ngx_http_vhost_traffic_status_module (third-party)"),
    d("vhost_traffic_status_display",        HSL,       NOARGS,          "ngx_http_vhost_traffic_status_module (third-party)"),
    d("vhost_traffic_status_display_format", HSL,       TAKE1,           "ngx_http_vhost_traffic_status_module (third-party)"),
    d("vhost_traffic_status_display_jsonp",  HSL,       TAKE1,           "ngx_http_vhost_traffic_status_module (third-party)"),
    d("vhost_traffic_status_display_sum_key", HSL,       TAKE1,           "ngx_http_vhost_traffic_status_module (third-party)"),
    d("vhost_traffic_status_dump",           HTTP,      TAKE12,          "ngx_http_vhost_traffic_status_module (third-party)"),
    d("vhost_traffic_status_filter",         HSL,       FLAG,            "ngx_http_vhost_traffic_status_module (third-party)"),
    d("vhost_traffic_status_filter_by_host", HSL,       FLAG,            "ngx_http_vhost_traffic_status_module (third-party)"),
    d("vhost_traffic_status_filter_by_set_key", HSL,       TAKE12,          "ngx_http_vhost_traffic_status_module (third-party)"),
    d("vhost_traffic_status_filter_check_duplicate", HSL,       FLAG,            "ngx_http_vhost_traffic_status_module (third-party)"),
    d("vhost_traffic_status_filter_max_node", HTTP,      MORE1,           "ngx_http_vhost_traffic_status_module (third-party)"),
    d("vhost_traffic_status_histogram_buckets", HSL,       MORE1,           "ngx_http_vhost_traffic_status_module (third-party)"),
    d("vhost_traffic_status_limit",          HSL,       FLAG,            "ngx_http_vhost_traffic_status_module (third-party)"),
    d("vhost_traffic_status_limit_check_duplicate", HSL,       FLAG,            "ngx_http_vhost_traffic_status_module (third-party)"),
    d("vhost_traffic_status_limit_traffic",  HSL,       TAKE12,          "ngx_http_vhost_traffic_status_module (third-party)"),
    d("vhost_traffic_status_limit_traffic_by_set_key", HSL,       TAKE23,          "ngx_http_vhost_traffic_status_module (third-party)"),
    d("vhost_traffic_status_set_by_filter",  SILF,      TAKE2,           "ngx_http_vhost_traffic_status_module (third-party)"),
    d("vhost_traffic_status_zone",           HTTP,      NOARGS | TAKE1,  "ngx_http_vhost_traffic_status_module (third-party)"),
    d("worker_aio_requests",                 EVENTS,    TAKE1,           "ngx_epoll_module"),
    d("worker_connections",                  EVENTS,    TAKE1,           "ngx_event_core_module"),
    d("worker_cpu_affinity",                 MAIN,      MORE1,           "ngx_core_module"),
    d("worker_priority",                     MAIN,      TAKE1,           "ngx_core_module"),
    d("worker_processes",                    MAIN,      TAKE1,           "ngx_core_module"),
    d("worker_rlimit_core",                  MAIN,      TAKE1,           "ngx_core_module"),
    d("worker_rlimit_nofile",                MAIN,      TAKE1,           "ngx_core_module"),
    d("worker_shutdown_timeout",             MAIN,      TAKE1,           "ngx_core_module"),
    d("working_directory",                   MAIN,      TAKE1,           "ngx_core_module"),
    d("xclient",                             MN,        FLAG,            "ngx_mail_proxy_module"),
    d("xml_entities",                        HSL,       TAKE1,           "ngx_http_xslt_module"),
    d("xml_external_entities",               HSL,       FLAG,            "ngx_http_xslt_module"),
    d("xslt_last_modified",                  HSL,       FLAG,            "ngx_http_xslt_module"),
    d("xslt_param",                          HSL,       TAKE2,           "ngx_http_xslt_module"),
    d("xslt_string_param",                   HSL,       TAKE2,           "ngx_http_xslt_module"),
    d("xslt_stylesheet",                     HTTP_LOC,  MORE1,           "ngx_http_xslt_module"),
    d("xslt_types",                          HSL,       MORE1,           "ngx_http_xslt_module"),
    d("zone",                                HTTP_UPS,  TAKE12,          "ngx_http_upstream_zone_module"),
    d("zone",                                STREAM_UPS, TAKE12,          "ngx_stream_upstream_zone_module"),
    d("zone_sync",                           STREAM_SRV, NOARGS,          "ngx_stream_zone_sync_module (NGINX Plus)"),
    d("zone_sync_buffers",                   ST,        TAKE2,           "ngx_stream_zone_sync_module (NGINX Plus)"),
    d("zone_sync_connect_retry_interval",    ST,        TAKE1,           "ngx_stream_zone_sync_module (NGINX Plus)"),
    d("zone_sync_connect_timeout",           ST,        TAKE1,           "ngx_stream_zone_sync_module (NGINX Plus)"),
    d("zone_sync_interval",                  ST,        TAKE1,           "ngx_stream_zone_sync_module (NGINX Plus)"),
    d("zone_sync_recv_buffer_size",          ST,        TAKE1,           "ngx_stream_zone_sync_module (NGINX Plus)"),
    d("zone_sync_server",                    STREAM_SRV, TAKE12,          "ngx_stream_zone_sync_module (NGINX Plus)"),
    d("zone_sync_ssl",                       ST,        FLAG,            "ngx_stream_zone_sync_module (NGINX Plus)"),
    d("zone_sync_ssl_certificate",           ST,        TAKE1,           "ngx_stream_zone_sync_module (NGINX Plus)"),
    d("zone_sync_ssl_certificate_key",       ST,        TAKE1,           "ngx_stream_zone_sync_module (NGINX Plus)"),
    d("zone_sync_ssl_ciphers",               ST,        TAKE1,           "ngx_stream_zone_sync_module (NGINX Plus)"),
    d("zone_sync_ssl_conf_command",          ST,        TAKE2,           "ngx_stream_zone_sync_module (NGINX Plus)"),
    d("zone_sync_ssl_crl",                   ST,        TAKE1,           "ngx_stream_zone_sync_module (NGINX Plus)"),
    d("zone_sync_ssl_name",                  ST,        TAKE1,           "ngx_stream_zone_sync_module (NGINX Plus)"),
    d("zone_sync_ssl_password_file",         ST,        TAKE1,           "ngx_stream_zone_sync_module (NGINX Plus)"),
    d("zone_sync_ssl_protocols",             ST,        MORE1,           "ngx_stream_zone_sync_module (NGINX Plus)"),
    d("zone_sync_ssl_server_name",           ST,        FLAG,            "ngx_stream_zone_sync_module (NGINX Plus)"),
    d("zone_sync_ssl_trusted_certificate",   ST,        TAKE1,           "ngx_stream_zone_sync_module (NGINX Plus)"),
    d("zone_sync_ssl_verify",                ST,        FLAG,            "ngx_stream_zone_sync_module (NGINX Plus)"),
    d("zone_sync_ssl_verify_depth",          ST,        TAKE1,           "ngx_stream_zone_sync_module (NGINX Plus)"),
    d("zone_sync_timeout",                   ST,        TAKE1,           "ngx_stream_zone_sync_module (NGINX Plus)"),
];

/// All entries for `name` (empty slice when unknown). Binary search.
pub fn lookup(name: &str) -> &'static [DirectiveSpec] {
    // Every directive of every file is looked up, several times: a hash index built once
    // beats a binary search over a thousand names.
    static INDEX: std::sync::OnceLock<crate::hash::FnvHashMap<&'static str, (u16, u16)>> =
        std::sync::OnceLock::new();
    let index = INDEX.get_or_init(|| {
        let mut m =
            crate::hash::FnvHashMap::with_capacity_and_hasher(DIRECTIVES.len(), Default::default());
        for (i, d) in DIRECTIVES.iter().enumerate() {
            m.entry(d.name).or_insert((i as u16, i as u16)).1 = i as u16 + 1;
        }
        m
    });
    match index.get(name) {
        Some(&(a, b)) => &DIRECTIVES[a as usize..b as usize],
        None => &[],
    }
}

/// True when `n` arguments satisfy `arity` (BLOCK is about the braces, not counted here; FLAG = 1 arg).
pub fn arity_accepts(arity: Arity, n: usize) -> bool {
    if arity & ANY != 0
        || (arity & MORE1 != 0 && n >= 1)
        || (arity & MORE2 != 0 && n >= 2)
        || (arity & FLAG != 0 && n == 1)
        || (arity & NOARGS != 0 && n == 0)
        || ((1..=7).contains(&n) && arity & (1 << n) != 0)
    {
        return true;
    }
    // A bare BLOCK without any argument flag takes no arguments.
    n == 0 && arity & !BLOCK == 0
}

/// Iterator over all distinct names (for did-you-mean suggestions).
pub fn names() -> impl Iterator<Item = &'static str> {
    DIRECTIVES
        .iter()
        .enumerate()
        .filter(|(i, d)| *i == 0 || DIRECTIVES[*i - 1].name != d.name)
        .map(|(_, d)| d.name)
}

/// Human-readable list of contexts in nginx's documentation words, e.g. "http, server, location".
///
/// When a set mixes families (http with stream or mail), the stream and mail
/// `server`/`upstream` blocks are qualified ("stream server", "mail server").
pub fn describe_contexts(ctx: Ctx) -> String {
    if ctx & ANY_CTX == ANY_CTX {
        return "any".to_string();
    }
    let http_family = HTTP | HTTP_SRV | HTTP_LOC | HTTP_UPS | HTTP_SIF | HTTP_LIF | HTTP_LMT;
    let stream_family = STREAM | STREAM_SRV | STREAM_UPS;
    let mixed_stream = ctx & http_family != 0;
    let mixed_mail = ctx & (http_family | stream_family) != 0;
    let if_word = match ctx & (HTTP_SIF | HTTP_LIF) {
        HTTP_SIF => "if in server",
        HTTP_LIF => "if in location",
        _ => "if",
    };
    let table: [(Ctx, &str); 14] = [
        (MAIN, "main"),
        (EVENTS, "events"),
        (HTTP, "http"),
        (HTTP_SRV, "server"),
        (HTTP_LOC, "location"),
        (HTTP_UPS, "upstream"),
        (HTTP_SIF | HTTP_LIF, if_word),
        (HTTP_LMT, "limit_except"),
        (STREAM, "stream"),
        (
            STREAM_SRV,
            if mixed_stream {
                "stream server"
            } else {
                "server"
            },
        ),
        (
            STREAM_UPS,
            if mixed_stream {
                "stream upstream"
            } else {
                "upstream"
            },
        ),
        (MAIL, "mail"),
        (MAIL_SRV, if mixed_mail { "mail server" } else { "server" }),
        (HTTP_MAP, "map"),
    ];
    let words: Vec<&str> = table
        .iter()
        .filter(|(bit, _)| ctx & bit != 0)
        .map(|(_, word)| *word)
        .collect();
    if words.is_empty() {
        return "none".to_string();
    }
    words.join(", ")
}

/// True for block directives whose body is not made of nginx directives and must
/// not be looked up in [`DIRECTIVES`]: `map`, `geo`, `types`, `split_clients`,
/// `match`, `charset_map` (the [`HTTP_MAP`] kind of body), and bodies with their
/// own grammar or code (`*_by_lua_block`, `geoip2`, `otel_exporter`, `mgmt`,
/// `oidc_provider`, `num_map`, `rtmp`).
pub fn has_freeform_body(name: &str) -> bool {
    matches!(
        name,
        "map"
            | "geo"
            | "types"
            | "split_clients"
            | "match"
            | "charset_map"
            | "num_map"
            | "geoip2"
            | "otel_exporter"
            | "mgmt"
            | "oidc_provider"
            | "rtmp"
    ) || name.ends_with("_by_lua_block")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(name: &str, ctx: Ctx) -> Option<&'static DirectiveSpec> {
        lookup(name).iter().find(|d| d.allowed_in(ctx))
    }

    #[test]
    fn table_is_sorted_by_name_then_module() {
        for w in DIRECTIVES.windows(2) {
            let (a, b) = (&w[0], &w[1]);
            assert!(
                a.name.as_bytes() < b.name.as_bytes()
                    || (a.name == b.name && a.module.as_bytes() < b.module.as_bytes()),
                "out of order or duplicate: {a:?} / {b:?}"
            );
        }
    }

    #[test]
    fn entries_are_well_formed() {
        for d in DIRECTIVES {
            assert!(!d.name.is_empty() && !d.module.is_empty(), "{d:?}");
            assert!(
                d.name
                    .bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_'),
                "{d:?}"
            );
            assert_ne!(d.contexts, 0, "{d:?}");
            assert_eq!(d.contexts & !ANY_CTX, 0, "{d:?}");
            assert_ne!(d.arity & !BLOCK, 0, "no argument flags: {d:?}");
            assert_eq!(d.arity >> 13, 0, "{d:?}");
        }
    }

    #[test]
    fn at_least_700_names() {
        let n = names().count();
        assert!(n >= 700, "only {n} names");
        let mut v: Vec<_> = names().collect();
        v.dedup();
        assert_eq!(v.len(), n, "names() yields duplicates");
    }

    #[test]
    fn lookup_basics() {
        assert!(lookup("no_such_directive").is_empty());
        assert!(lookup("").is_empty());
        assert!(lookup("zzzz").is_empty());
        assert_eq!(lookup("absolute_redirect").len(), 1);
        for name in names() {
            let got = lookup(name);
            assert!(!got.is_empty());
            assert!(got.iter().all(|d| d.name == name));
            let total = DIRECTIVES.iter().filter(|d| d.name == name).count();
            assert_eq!(got.len(), total, "{name}");
        }
    }

    #[test]
    fn proxy_pass_in_http_location_and_stream_server() {
        let http = find("proxy_pass", HTTP_LOC).expect("http proxy_pass");
        assert!(http.allowed_in(HTTP_LIF) && http.allowed_in(HTTP_LMT));
        assert!(!http.allowed_in(HTTP_SRV) && !http.allowed_in(HTTP));
        assert_eq!(http.arity, TAKE1);
        let stream = find("proxy_pass", STREAM_SRV).expect("stream proxy_pass");
        assert_eq!(stream.arity, TAKE1);
        assert!(find("proxy_pass", STREAM).is_none());
    }

    #[test]
    fn worker_connections_is_events_only() {
        let e = lookup("worker_connections");
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].contexts, EVENTS);
        assert_eq!(e[0].arity, TAKE1);
        for name in [
            "use",
            "multi_accept",
            "accept_mutex",
            "accept_mutex_delay",
            "debug_connection",
            "worker_aio_requests",
        ] {
            assert!(lookup(name).iter().all(|d| d.contexts == EVENTS), "{name}");
        }
    }

    #[test]
    fn main_only_directives() {
        for name in [
            "worker_processes",
            "worker_rlimit_nofile",
            "user",
            "pid",
            "load_module",
            "env",
            "daemon",
            "master_process",
            "thread_pool",
            "pcre_jit",
            "worker_cpu_affinity",
            "worker_priority",
            "working_directory",
            "lock_file",
            "timer_resolution",
            "ssl_engine",
            "debug_points",
            "worker_shutdown_timeout",
        ] {
            let e = lookup(name);
            assert!(!e.is_empty(), "{name}");
            assert!(e.iter().all(|d| d.contexts == MAIN), "{name}");
        }
        let el = lookup("error_log");
        for ctx in [
            MAIN, HTTP, HTTP_SRV, HTTP_LOC, STREAM, STREAM_SRV, MAIL, MAIL_SRV,
        ] {
            assert!(el.iter().any(|d| d.allowed_in(ctx)), "error_log in {ctx}");
        }
    }

    #[test]
    fn server_has_block_and_upstream_forms() {
        let http_block = find("server", HTTP).expect("http server block");
        assert!(http_block.is_block());
        assert!(http_block.accepts(0) && !http_block.accepts(1));
        let ups = find("server", HTTP_UPS).expect("upstream server");
        assert!(!ups.is_block());
        assert_eq!(ups.arity, MORE1);
        assert!(find("server", STREAM).unwrap().is_block());
        assert!(!find("server", STREAM_UPS).unwrap().is_block());
        assert!(find("server", MAIL).unwrap().is_block());
        assert!(find("server", HTTP_SRV).is_none());
    }

    #[test]
    fn block_directives() {
        let loc = lookup("location");
        assert_eq!(loc.len(), 1);
        assert_eq!(loc[0].contexts, HTTP_SRV | HTTP_LOC);
        assert_eq!(loc[0].arity, BLOCK | TAKE12);
        let iff = lookup("if");
        assert_eq!(iff[0].contexts, HTTP_SRV | HTTP_LOC);
        assert!(iff[0].is_block());
        assert_eq!(lookup("limit_except")[0].contexts, HTTP_LOC);
        assert!(find("upstream", HTTP).unwrap().is_block());
        assert!(find("upstream", STREAM).unwrap().is_block());
        for name in [
            "types",
            "map",
            "geo",
            "split_clients",
            "match",
            "charset_map",
        ] {
            assert!(lookup(name).iter().all(|d| d.is_block()), "{name}");
            assert!(has_freeform_body(name), "{name}");
        }
        assert!(has_freeform_body("content_by_lua_block"));
        assert!(!has_freeform_body("location"));
        for name in ["events", "http", "stream", "mail"] {
            let e = lookup(name);
            assert_eq!(e.len(), 1);
            assert_eq!(
                (e[0].contexts, e[0].arity),
                (MAIN, BLOCK | NOARGS),
                "{name}"
            );
        }
    }

    #[test]
    fn include_is_everywhere() {
        let inc = lookup("include");
        assert_eq!(inc.len(), 1);
        assert_eq!(inc[0].contexts, ANY_CTX);
        assert_eq!(inc[0].arity, TAKE1);
    }

    #[test]
    fn rewrite_module_if_contexts() {
        for name in ["rewrite", "return", "set", "break"] {
            let d = find(name, HTTP_LOC).expect(name);
            for ctx in [HTTP_SRV, HTTP_SIF, HTTP_LOC, HTTP_LIF] {
                assert!(d.allowed_in(ctx), "{name} in {ctx}");
            }
            assert!(!d.allowed_in(HTTP), "{name} not in http");
        }
        assert!(find("return", STREAM_SRV).is_some());
        assert!(find("set", STREAM_SRV).is_some());
        assert!(find("add_header", HTTP_LIF).is_some());
        assert!(find("add_header", HTTP_SIF).is_none());
        assert!(find("root", HTTP_LIF).is_some());
        assert!(find("alias", HTTP_LIF).is_none());
    }

    #[test]
    fn arity_accepts_works() {
        assert!(arity_accepts(NOARGS, 0) && !arity_accepts(NOARGS, 1));
        assert!(arity_accepts(TAKE1, 1) && !arity_accepts(TAKE1, 0) && !arity_accepts(TAKE1, 2));
        assert!(arity_accepts(TAKE12, 1) && arity_accepts(TAKE12, 2) && !arity_accepts(TAKE12, 3));
        assert!(arity_accepts(TAKE13, 3) && !arity_accepts(TAKE13, 2));
        assert!(arity_accepts(TAKE23, 2) && arity_accepts(TAKE23, 3) && !arity_accepts(TAKE23, 1));
        assert!(arity_accepts(TAKE1234, 4) && !arity_accepts(TAKE1234, 5));
        assert!(arity_accepts(TAKE7, 7) && !arity_accepts(TAKE7, 8));
        assert!(arity_accepts(FLAG, 1) && !arity_accepts(FLAG, 0) && !arity_accepts(FLAG, 2));
        assert!(arity_accepts(ANY, 0) && arity_accepts(ANY, 100));
        assert!(arity_accepts(MORE1, 1) && arity_accepts(MORE1, 9) && !arity_accepts(MORE1, 0));
        assert!(arity_accepts(MORE2, 2) && !arity_accepts(MORE2, 1));
        assert!(arity_accepts(BLOCK | NOARGS, 0) && !arity_accepts(BLOCK | NOARGS, 1));
        assert!(arity_accepts(BLOCK | TAKE12, 2) && !arity_accepts(BLOCK | TAKE12, 0));
        assert!(arity_accepts(BLOCK, 0) && !arity_accepts(BLOCK, 1));
        assert!(arity_accepts(NOARGS | TAKE12, 0) && arity_accepts(NOARGS | TAKE12, 2));
        assert!(!arity_accepts(TAKE1, 64));
    }

    #[test]
    fn describe_contexts_words() {
        assert_eq!(
            describe_contexts(HTTP | HTTP_SRV | HTTP_LOC),
            "http, server, location"
        );
        assert_eq!(
            describe_contexts(HTTP_SRV | HTTP_SIF | HTTP_LOC | HTTP_LIF),
            "server, location, if"
        );
        assert_eq!(
            describe_contexts(HTTP | HTTP_SRV | HTTP_LOC | HTTP_LIF),
            "http, server, location, if in location"
        );
        assert_eq!(
            describe_contexts(HTTP_LOC | HTTP_LIF | HTTP_LMT),
            "location, if in location, limit_except"
        );
        assert_eq!(describe_contexts(STREAM | STREAM_SRV), "stream, server");
        assert_eq!(describe_contexts(STREAM_UPS), "upstream");
        assert_eq!(describe_contexts(MAIL | MAIL_SRV), "mail, server");
        assert_eq!(
            describe_contexts(HTTP_LOC | STREAM_SRV),
            "location, stream server"
        );
        assert_eq!(describe_contexts(MAIN), "main");
        assert_eq!(describe_contexts(EVENTS), "events");
        assert_eq!(describe_contexts(ANY_CTX), "any");
        assert_eq!(describe_contexts(0), "none");
    }

    #[test]
    fn module_tags() {
        let plus = find("health_check", HTTP_LOC).unwrap();
        assert!(plus.is_nginx_plus() && !plus.is_third_party());
        let lua = find("content_by_lua_block", HTTP_LOC).unwrap();
        assert!(lua.is_third_party() && lua.is_block());
        assert!(lookup("ssl").iter().all(|d| d.is_obsolete()));
        let core = find("proxy_pass", HTTP_LOC).unwrap();
        assert!(!core.is_nginx_plus() && !core.is_third_party() && !core.is_obsolete());
    }

    #[test]
    fn third_party_and_plus_presence() {
        for name in [
            "more_set_headers",
            "more_clear_headers",
            "echo",
            "set_md5",
            "proxy_cache_purge",
            "brotli",
            "brotli_static",
            "vhost_traffic_status_zone",
            "check",
            "check_http_send",
            "check_http_expect_alive",
            "sticky",
            "geoip2",
            "dav_ext_methods",
            "push_stream_subscriber",
            "passenger_enabled",
            "nchan_publisher",
            "pagespeed",
            "lua_shared_dict",
            "access_by_lua_block",
            "js_import",
            "zone_sync",
            "state",
            "ntlm",
            "queue",
            "keyval",
            "api",
            "status_zone",
        ] {
            assert!(!lookup(name).is_empty(), "{name}");
        }
    }
}
