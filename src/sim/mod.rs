//! The fake BigCommerce store. OWNER: sim helper.
