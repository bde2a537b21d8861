# PHI_ADD_CFLAG(FLAG, VAR): append FLAG to VAR when the compiler accepts
# it (as a compile and a link flag, warnings being errors, so that a flag
# the compiler only warns about is not used).
AC_DEFUN([PHI_ADD_CFLAG], [
	AS_VAR_PUSHDEF([phi_cv], [phi_cv_cflag_$1])
	AC_CACHE_CHECK([whether $CC accepts $1], [phi_cv], [
		phi_save_CFLAGS=$CFLAGS
		CFLAGS="$CFLAGS -Werror $1"
		AC_LINK_IFELSE([AC_LANG_PROGRAM([[]], [[return 0;]])],
			[AS_VAR_SET([phi_cv], [yes])],
			[AS_VAR_SET([phi_cv], [no])])
		CFLAGS=$phi_save_CFLAGS])
	AS_VAR_IF([phi_cv], [yes], [$2="$$2 $1"])
	AS_VAR_POPDEF([phi_cv])
])

# PHI_ADD_LDFLAG(FLAG, VAR): the same for a link-only flag.
AC_DEFUN([PHI_ADD_LDFLAG], [
	AS_VAR_PUSHDEF([phi_cv], [phi_cv_ldflag_$1])
	AC_CACHE_CHECK([whether the linker accepts $1], [phi_cv], [
		phi_save_LDFLAGS=$LDFLAGS
		LDFLAGS="$LDFLAGS $1"
		AC_LINK_IFELSE([AC_LANG_PROGRAM([[]], [[return 0;]])],
			[AS_VAR_SET([phi_cv], [yes])],
			[AS_VAR_SET([phi_cv], [no])])
		LDFLAGS=$phi_save_LDFLAGS])
	AS_VAR_IF([phi_cv], [yes], [$2="$$2 $1"])
	AS_VAR_POPDEF([phi_cv])
])
